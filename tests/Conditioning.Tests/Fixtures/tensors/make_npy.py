#!/usr/bin/env python3
"""Writes reference .npy files with NumPy for TensorFileWriter's byte-for-byte test:

    /usr/bin/python3 tests/Conditioning.Tests/Fixtures/tensors/make_npy.py
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
np.save(os.path.join(HERE, "arange_2x3x4.npy"), np.arange(24, dtype="<f4").reshape(2, 3, 4) / 8 - 1)
np.save(os.path.join(HERE, "vector_5.npy"), np.array([0.5, -1.25, 3.0, 1e-3, -7.5], dtype="<f4"))
print("wrote arange_2x3x4.npy, vector_5.npy")
