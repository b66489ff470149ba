"""The work `bigsync serve` does by itself: job functions (plain async functions whose
arguments are data, so a procrastinate worker can run the same ones) and the embedded
scheduler that decides when each runs."""
