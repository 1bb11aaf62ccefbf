"""reader: the service behind "Få siden oplæst" on Høje-Taastrup Kommune's policy pages."""

__version__ = "0.1.0"
