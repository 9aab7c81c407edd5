"""Pieces of the integrator checked against their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from isamm.pk._engine import _phi


@pytest.mark.parametrize("z", [0.0, -1e-9, -1e-4, -0.05, -0.19999, -0.2, -0.5, -3.0, -50.0, -700.0])
def test_phi_functions_equal_their_integral_definition(z):
    # φ_k(z) = ∫_0^1 e^{(1-s)z} s^{k-1}/(k-1)! ds (Hochbruck & Ostermann 2010, Acta Numerica, eq. 2.10)
    e, p1, p2, p3 = _phi(np.array([z]))
    assert e[0] == pytest.approx(math.exp(z), rel=1e-15, abs=1e-300)
    for k, p in ((1, p1), (2, p2), (3, p3)):
        ref = quad(lambda s: math.exp((1 - s) * z) * s ** (k - 1) / math.factorial(k - 1), 0, 1,
                   epsabs=1e-16, epsrel=1e-13, limit=200)[0]
        assert p[0] == pytest.approx(ref, rel=1e-12, abs=1e-15)
