"""Semantic diff of two configurations: the flows a change newly allows and newly blocks."""
