"""Clips, tracks and timings: from engine audio to the MP3s and WebVTT that are served."""
