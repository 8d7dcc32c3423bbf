"""The review inbox: client messages the assistant was unsure of or got wrong, their labels,
the export as training data and the retrain gate (docs/review.md)."""
