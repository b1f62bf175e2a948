"""Validating policy objects and compiling each API kind into the policy IR."""
