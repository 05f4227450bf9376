"""e-računi API simulator."""
