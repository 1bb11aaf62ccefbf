"""What editors do: publish and roll back pages, fix pronunciations, regenerate audio, and see
who did what. Each concern is one module; ``service.EditorService`` ties them together for the
web layer.
"""
