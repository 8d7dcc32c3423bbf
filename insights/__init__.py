"""Insights: what became of each conversation, the figures of a period, and the live metrics."""
