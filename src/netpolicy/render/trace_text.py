"""A flow's verdict and both sides' traces as readable text."""

from __future__ import annotations

from netpolicy.engine.flow import FlowResult, SideResult
from netpolicy.model.protocols import PORT_PROTOCOLS, protocol_name


def flow_headline(result: FlowResult) -> str:
    proto = protocol_name(result.protocol)
    what = proto
    if result.port is not None:
        what += f" {result.port}" if result.protocol in PORT_PROTOCOLS else f" type {result.port}"
    if result.src_port is not None:
        what += (f" from source port {result.src_port}" if result.protocol in PORT_PROTOCOLS
                 else f" code {result.src_port}")
    return f"{result.src} → {result.dst}  {what}"


def render_flow(result: FlowResult, console) -> None:
    """Print the verdict, then the source's egress and the destination's ingress step by step."""
    style = "bold green" if result.verdict == "allow" else "bold red"
    console.print(f"[bold]{_esc(flow_headline(result))}[/bold]: [{style}]{result.verdict.upper()}[/{style}]")
    if result.allowed_src_ports is not None:
        console.print(f"  only from source ports {result.allowed_src_ports.format(', ')}; "
                      "a client on an ordinary ephemeral port is denied")
    _side(console, f"Egress of {result.src}", result.egress)
    _side(console, f"Ingress of {result.dst}", result.ingress)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {_esc(note)}")
    if result.pending is not None:
        pending = result.pending
        style = "green" if pending.verdict == "allow" else "red"
        change = "unchanged" if pending.verdict == result.verdict else "changes"
        console.print(f"\n[bold]Pending[/bold] (with the staged policies enforced, the verdict {change}): "
                      f"[{style}]{pending.verdict.upper()}[/{style}]")
        _side(console, f"Egress of {result.src} (pending)", pending.egress)
        _side(console, f"Ingress of {result.dst} (pending)", pending.ingress)


def render_service_flow(flow, console) -> None:
    """A flow to a Service: the verdict, how kube-proxy translates it, then each backend's flow."""
    style = "bold green" if flow.verdict == "allow" else "bold red"
    allowed = sum(1 for _, r in flow.legs if r.verdict == "allow")
    console.print(f"[bold]{_esc(flow.src)} → {_esc(flow.dst)}[/bold] ({_esc(flow.entry.describe())}): "
                  f"[{style}]{flow.verdict.upper()}[/{style}]  {allowed} of {len(flow.legs)} backends allow it")
    if flow.dropped:
        console.print(f"  {_esc(flow.dropped)}")
    for note in flow.notes:
        console.print(f"[yellow]note:[/yellow] {_esc(note)}")
    for leg, result in flow.legs:
        console.print(f"\n[bold]backend {_esc(leg.name)}[/bold] port {leg.target.port}: {_esc(leg.why)}")
        render_flow(result, console)


def render_sweep(sweep, console) -> None:
    """A flow over every destination port: which ports are allowed, then each distinct outcome's trace."""
    first = sweep.outcomes[0].result
    proto = protocol_name(first.protocol)
    allowed = sweep.allowed
    style = "bold green" if allowed else "bold red"
    summary = f"ALLOW on ports {allowed.format(', ')}" if allowed else "DENY on every port"
    console.print(f"[bold]{_esc(f'{first.src} → {first.dst}  {proto}')}[/bold]: [{style}]{summary}[/{style}]")
    for outcome in sweep.outcomes:
        ports = outcome.ports.format(", ")
        style = "green" if outcome.verdict == "allow" else "red"
        console.print(f"\n[bold]{proto} {_esc(ports)}[/bold]: [{style}]{outcome.verdict.upper()}[/{style}] "
                      f"[dim](explained for port {outcome.result.port})[/dim]")
        _side(console, f"Egress of {first.src}", outcome.result.egress)
        _side(console, f"Ingress of {first.dst}", outcome.result.ingress)
    for note in first.notes:
        console.print(f"[yellow]note:[/yellow] {_esc(note)}")


def _side(console, title: str, side: SideResult) -> None:
    style = "green" if side.verdict == "allow" else "red"
    console.print(f"\n[bold]{_esc(title)}[/bold]: [{style}]{side.verdict}[/{style}]")
    for number, step in enumerate(side.trace, 1):
        where = " ".join(x for x in (
            f"tier {step.tier}" if step.tier else "",
            f"{step.kind} {step.policy}" if step.policy else "",
            step.rule or "") if x)
        head = f"{step.action}" + (f"  [dim]{_esc(where)}[/dim]" if where else "")
        _hang(console, f"{number}. {head}", 2, 3)
        _hang(console, _esc(step.reason), 5)
        for policy, rule, why in step.unmatched:
            _hang(console, f"[dim]-[/dim] {_esc(policy)} {_esc(rule)}: {_esc(why)}", 7, 2)
        if step.location:
            _hang(console, f"[dim]{_esc(step.location)}[/dim]", 5)
        for finding in step.findings:
            _hang(console, f"[yellow]lint:[/yellow] {_esc(finding)}", 5, 6)


def _hang(console, markup: str, indent: int, hanging: int = 0) -> None:
    """Print `markup` wrapped at word boundaries, every line indented, lines after the first `hanging` more."""
    from rich.text import Text

    text = Text.from_markup(markup)
    width = max(20, console.width - indent - hanging)
    for number, line in enumerate(text.wrap(console, width)):
        line.rstrip()
        console.print(Text(" " * (indent + (hanging if number else 0))) + line, no_wrap=True, crop=False)


def _esc(text: str) -> str:
    return text.replace("[", r"\[")
