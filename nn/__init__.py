"""nn: neurons, layers and MLPs built on autograd_core Values (see issue 4)."""
