"""viz: drawing the forward and backward graph of autograd_core Values (see issue 5)."""
