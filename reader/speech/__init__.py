"""Written Danish → spoken text → audio from a speech engine."""
