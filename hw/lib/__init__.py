"""What the blocks share: FIFOs, memories, ECP5 primitives, stream layouts, parameter checks."""
