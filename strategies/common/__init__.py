"""Building blocks strategies share: prompts, sampling into solutions, voting, verification, aggregation."""
