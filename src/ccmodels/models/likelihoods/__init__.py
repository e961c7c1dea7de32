"""Likelihood pieces shared by the models: case-effect integrals (compiled kernels and their
PyTensor Ops), each tested against brute-force quadrature."""
