"""The review inbox: client messages the assistant was unsure of or got wrong, their labels, the export and the retrain gate."""
