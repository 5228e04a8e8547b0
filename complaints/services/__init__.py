"""Business rules of complaints and feedback, one module per concern."""
