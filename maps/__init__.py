"""farfromhome maps package."""
