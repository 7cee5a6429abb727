"""farfromhome distance package."""
