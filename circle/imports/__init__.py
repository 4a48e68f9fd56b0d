"""Import and export of slips: our CSV both ways, and BNI Connect's Slips Audit Report in."""
