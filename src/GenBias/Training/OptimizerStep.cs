using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// One step of the trainer's optimiser (Adam, or SGD with momentum) over parameters, gradients and moments laid out
/// alike: eight at a time in float, lane by lane, so that every parameter has the same bits with or without SIMD and
/// in any layout — the canonical one of the parameters or the training kernel's.
/// </summary>
internal readonly struct OptimizerStep
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;

    private readonly OptimizerKind _kind;
    private readonly float _rate, _momentum, _scale1, _scale2;

    private OptimizerStep(OptimizerKind kind, float rate, float momentum, float scale1, float scale2) =>
        (_kind, _rate, _momentum, _scale1, _scale2) = (kind, rate, momentum, scale1, scale2);

    /// <summary>Step <paramref name="step"/> (from 1) of <paramref name="options"/>' optimiser.</summary>
    public static OptimizerStep For(TrainerOptions options, long step) => new(
        options.Optimizer,
        (float)options.LearningRate,
        (float)options.Momentum,
        (float)(1 / (1 - Math.Pow(Beta1, step))),
        (float)(1 / (1 - Math.Pow(Beta2, step))));

    /// <summary>
    /// Updates <paramref name="count"/> parameters from <paramref name="w"/> on with their gradients and moments; the
    /// weight decay is <paramref name="decay"/>'s values one per parameter, or its first for all where
    /// <paramref name="oneDecay"/>.
    /// </summary>
    public void Apply(ref float w, ref float gradient, ref float m1, ref float m2, ref float decay, bool oneDecay, int count)
    {
        int p = 0;
        if (_kind == OptimizerKind.Adam)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                // Sixteen at a time: the same operations lane by lane as eight at a time, so the same bits.
                for (; p <= count - 16; p += 16)
                {
                    Vector512<float> weights = Vector512.LoadUnsafe(ref w, (nuint)p);
                    Vector512<float> d = oneDecay ? Vector512.Create(decay) : Vector512.LoadUnsafe(ref decay, (nuint)p);
                    Vector512<float> grad = Vector512.FusedMultiplyAdd(d, weights, Vector512.LoadUnsafe(ref gradient, (nuint)p));
                    Vector512<float> m = Vector512.FusedMultiplyAdd(Vector512.Create(Beta1), Vector512.LoadUnsafe(ref m1, (nuint)p), Vector512.Create(1 - Beta1) * grad);
                    Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.Create(Beta2), Vector512.LoadUnsafe(ref m2, (nuint)p), Vector512.Create(1 - Beta2) * (grad * grad));
                    m.StoreUnsafe(ref m1, (nuint)p);
                    v.StoreUnsafe(ref m2, (nuint)p);
                    Vector512<float> step = Vector512.Create(_rate) * (m * Vector512.Create(_scale1)) / (Vector512.Sqrt(v * Vector512.Create(_scale2)) + Vector512.Create(Epsilon));
                    (weights - step).StoreUnsafe(ref w, (nuint)p);
                }
            }

            for (; p <= count - 8; p += 8)
            {
                Vector256<float> weights = Vector256.LoadUnsafe(ref w, (nuint)p);
                Vector256<float> d = oneDecay ? Vector256.Create(decay) : Vector256.LoadUnsafe(ref decay, (nuint)p);
                Vector256<float> grad = Vector256.FusedMultiplyAdd(d, weights, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(Beta1), Vector256.LoadUnsafe(ref m1, (nuint)p), Vector256.Create(1 - Beta1) * grad);
                Vector256<float> v = Vector256.FusedMultiplyAdd(Vector256.Create(Beta2), Vector256.LoadUnsafe(ref m2, (nuint)p), Vector256.Create(1 - Beta2) * (grad * grad));
                m.StoreUnsafe(ref m1, (nuint)p);
                v.StoreUnsafe(ref m2, (nuint)p);
                Vector256<float> step = Vector256.Create(_rate) * (m * Vector256.Create(_scale1)) / (Vector256.Sqrt(v * Vector256.Create(_scale2)) + Vector256.Create(Epsilon));
                (weights - step).StoreUnsafe(ref w, (nuint)p);
            }

            for (; p < count; p++)
            {
                ref float weight = ref Unsafe.Add(ref w, p);
                float grad = MathF.FusedMultiplyAdd(oneDecay ? decay : Unsafe.Add(ref decay, p), weight, Unsafe.Add(ref gradient, p));
                float m = MathF.FusedMultiplyAdd(Beta1, Unsafe.Add(ref m1, p), (1 - Beta1) * grad);
                float v = MathF.FusedMultiplyAdd(Beta2, Unsafe.Add(ref m2, p), (1 - Beta2) * (grad * grad));
                Unsafe.Add(ref m1, p) = m;
                Unsafe.Add(ref m2, p) = v;
                weight -= _rate * (m * _scale1) / (MathF.Sqrt(v * _scale2) + Epsilon);
            }
        }
        else
        {
            for (; p <= count - 8; p += 8)
            {
                Vector256<float> weights = Vector256.LoadUnsafe(ref w, (nuint)p);
                Vector256<float> d = oneDecay ? Vector256.Create(decay) : Vector256.LoadUnsafe(ref decay, (nuint)p);
                Vector256<float> grad = Vector256.FusedMultiplyAdd(d, weights, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(_momentum), Vector256.LoadUnsafe(ref m1, (nuint)p), grad);
                m.StoreUnsafe(ref m1, (nuint)p);
                (weights - (Vector256.Create(_rate) * m)).StoreUnsafe(ref w, (nuint)p);
            }

            for (; p < count; p++)
            {
                ref float weight = ref Unsafe.Add(ref w, p);
                float grad = MathF.FusedMultiplyAdd(oneDecay ? decay : Unsafe.Add(ref decay, p), weight, Unsafe.Add(ref gradient, p));
                float m = MathF.FusedMultiplyAdd(_momentum, Unsafe.Add(ref m1, p), grad);
                Unsafe.Add(ref m1, p) = m;
                weight -= _rate * m;
            }
        }
    }
}
