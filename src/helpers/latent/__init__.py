"""Latent variable models for the two-groups and widening-gap claims (see each module)."""
