"""Tags: the dialog that manages them and the one that puts one on the selected contacts."""
