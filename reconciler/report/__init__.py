"""Terminal progress and summaries of apply and jobs runs."""
