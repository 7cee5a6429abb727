"""farfromhome provision package."""
