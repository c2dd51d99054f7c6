using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias.Benchmarks;

/// <summary>
/// The peer for training speed: a plain, hand-written dense MLP trainer (n → H → 1, tanh, H a multiple of 8) with float
/// inputs, Vector256 forward and backward per row, minibatches and Adam, the logistic loss of the trainer — what a
/// competent programmer writes without knowing that the inputs are ternary. It uses GenBias's exact tanh, so the
/// comparison is about everything else.
/// </summary>
internal sealed class DenseBaseline
{
    private readonly int _inputs, _hidden;
    private readonly float[] _w1t;   // [input][hidden]
    private readonly float[] _b1, _w2;
    private float _b2;
    private readonly float[] _gw1t, _gb1, _gw2;
    private float _gb2;
    private readonly float[] _parameters, _gradient, _m, _v;
    private long _step;

    public DenseBaseline(int inputs, int hidden, ulong seed)
    {
        _inputs = inputs;
        _hidden = hidden;
        int count = (inputs * hidden) + hidden + hidden + 1;
        _parameters = new float[count];
        _gradient = new float[count];
        _m = new float[count];
        _v = new float[count];
        var random = new DeterministicRandom(seed);
        double limit = Math.Sqrt(6.0 / (inputs + hidden));
        for (int p = 0; p < inputs * hidden; p++)
        {
            _parameters[p] = (float)(((random.NextDouble() * 2) - 1) * limit);
        }

        for (int p = (inputs * hidden) + hidden; p < count - 1; p++)
        {
            _parameters[p] = (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / (hidden + 1)));
        }

        _w1t = new float[inputs * hidden];
        _b1 = new float[hidden];
        _w2 = new float[hidden];
        _gw1t = new float[inputs * hidden];
        _gb1 = new float[hidden];
        _gw2 = new float[hidden];
        Unpack();
    }

    /// <summary>One epoch over <paramref name="x"/> (rows of floats) in minibatches of <paramref name="batch"/>; returns the summed loss.</summary>
    public double Epoch(float[] x, byte[] labels, int batch)
    {
        int rows = labels.Length;
        double loss = 0;
        for (int start = 0; start < rows; start += batch)
        {
            int count = Math.Min(batch, rows - start);
            for (int r = start; r < start + count; r++)
            {
                loss += Row(ref x[r * _inputs], labels[r], 1f / count);
            }

            Update();
        }

        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Row(ref float x, int label, float scale)
    {
        int n = _inputs, h = _hidden;
        ref float w1t = ref MemoryMarshal.GetArrayDataReference(_w1t);
        ref float gw1t = ref MemoryMarshal.GetArrayDataReference(_gw1t);
        Span<float> hidden = stackalloc float[h];
        ref float hv = ref MemoryMarshal.GetReference(hidden);
        Vector256<float> partial = Vector256<float>.Zero;
        for (int k = 0; k < h; k += 8)
        {
            Vector256<float> z = Vector256.LoadUnsafe(ref _b1[0], (nuint)k);
            for (int i = 0; i < n; i++)
            {
                z = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, i)), Vector256.LoadUnsafe(ref w1t, (nuint)((i * h) + k)), z);
            }

            Vector256<float> a = ActivationMath.Tanh(z);
            a.StoreUnsafe(ref hv, (nuint)k);
            partial = Vector256.FusedMultiplyAdd(a, Vector256.LoadUnsafe(ref _w2[0], (nuint)k), partial);
        }

        float y = ActivationMath.Tanh(Vector256.Sum(partial) + _b2);
        double p = Math.Clamp((y + 1) / 2.0, 1e-7, 1 - 1e-7);
        double loss = -(label * Math.Log(p)) - ((1 - label) * Math.Log(1 - p));
        float dz2 = (float)(0.5 * (p - label) / (p * (1 - p))) * (1 - (y * y)) * scale;
        _gb2 += dz2;
        Vector256<float> d2 = Vector256.Create(dz2);
        for (int k = 0; k < h; k += 8)
        {
            Vector256<float> a = Vector256.LoadUnsafe(ref hv, (nuint)k);
            Vector256.FusedMultiplyAdd(d2, a, Vector256.LoadUnsafe(ref _gw2[0], (nuint)k)).StoreUnsafe(ref _gw2[0], (nuint)k);
            Vector256<float> dh = d2 * Vector256.LoadUnsafe(ref _w2[0], (nuint)k) * (Vector256<float>.One - (a * a));
            (Vector256.LoadUnsafe(ref _gb1[0], (nuint)k) + dh).StoreUnsafe(ref _gb1[0], (nuint)k);
            for (int i = 0; i < n; i++)
            {
                nuint at = (nuint)((i * h) + k);
                Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, i)), dh, Vector256.LoadUnsafe(ref gw1t, at)).StoreUnsafe(ref gw1t, at);
            }
        }

        return loss;
    }

    private void Update()
    {
        // Gather the gradient into one buffer, Adam over all of it, vectorised; then back into the working layout.
        int n = _inputs, h = _hidden;
        _gw1t.CopyTo(_gradient, 0);
        _gb1.CopyTo(_gradient, n * h);
        _gw2.CopyTo(_gradient, (n * h) + h);
        _gradient[^1] = _gb2;
        Array.Clear(_gw1t);
        Array.Clear(_gb1);
        Array.Clear(_gw2);
        _gb2 = 0;
        _step++;
        float c1 = 1 / (1 - MathF.Pow(0.9f, _step)), c2 = 1 / (1 - MathF.Pow(0.999f, _step));
        int p = 0;
        for (; p <= _parameters.Length - 8; p += 8)
        {
            Vector256<float> g = Vector256.Create(_gradient.AsSpan(p, 8));
            Vector256<float> m = (Vector256.Create(0.9f) * Vector256.Create(_m.AsSpan(p, 8))) + (Vector256.Create(0.1f) * g);
            Vector256<float> v = (Vector256.Create(0.999f) * Vector256.Create(_v.AsSpan(p, 8))) + (Vector256.Create(0.001f) * g * g);
            m.CopyTo(_m.AsSpan(p, 8));
            v.CopyTo(_v.AsSpan(p, 8));
            (Vector256.Create(_parameters.AsSpan(p, 8)) - (Vector256.Create(0.01f) * m * c1 / (Vector256.Sqrt(v * c2) + Vector256.Create(1e-8f)))).CopyTo(_parameters.AsSpan(p, 8));
        }

        for (; p < _parameters.Length; p++)
        {
            _m[p] = (0.9f * _m[p]) + (0.1f * _gradient[p]);
            _v[p] = (0.999f * _v[p]) + (0.001f * _gradient[p] * _gradient[p]);
            _parameters[p] -= 0.01f * _m[p] * c1 / (MathF.Sqrt(_v[p] * c2) + 1e-8f);
        }

        Unpack();
    }

    private void Unpack()
    {
        int n = _inputs, h = _hidden;
        _parameters.AsSpan(0, n * h).CopyTo(_w1t);
        _parameters.AsSpan(n * h, h).CopyTo(_b1);
        _parameters.AsSpan((n * h) + h, h).CopyTo(_w2);
        _b2 = _parameters[^1];
    }
}
