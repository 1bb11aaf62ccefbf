"""HTTP: the reading view, the JSON API and the audio."""
