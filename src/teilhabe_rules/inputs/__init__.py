"""The inputs of an evaluation: cases and agreements, validated against a checked model."""
