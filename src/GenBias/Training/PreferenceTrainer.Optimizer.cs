using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

public static partial class PreferenceTrainer
{
    private sealed partial class Run
    {
        /// <summary>
        /// Adam (or SGD with momentum) over every parameter, eight at a time in float, lane by lane, so that the result has
        /// the same bits with or without SIMD; then the first layer back on the grid and the kernel's tables rebuilt.
        /// </summary>
        private void ApplyUpdate()
        {
            _step++;
            float lr = (float)_options.LearningRate;
            ref float parameters = ref MemoryMarshal.GetArrayDataReference(_parameters);
            ref float gradient = ref MemoryMarshal.GetArrayDataReference(_gradient);
            ref float decay = ref MemoryMarshal.GetArrayDataReference(_decay);
            ref float m1 = ref MemoryMarshal.GetArrayDataReference(_moment1);
            ref float m2 = ref MemoryMarshal.GetArrayDataReference(_moment2);
            int n = _parameters.Length, p = 0;
            if (_options.Optimizer == OptimizerKind.Adam)
            {
                const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
                float scale1 = (float)(1 / (1 - Math.Pow(Beta1, _step))), scale2 = (float)(1 / (1 - Math.Pow(Beta2, _step)));
                for (; p <= n - 8; p += 8)
                {
                    Vector256<float> w = Vector256.LoadUnsafe(ref parameters, (nuint)p);
                    Vector256<float> grad = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref decay, (nuint)p), w, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                    Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(Beta1), Vector256.LoadUnsafe(ref m1, (nuint)p), Vector256.Create(1 - Beta1) * grad);
                    Vector256<float> v = Vector256.FusedMultiplyAdd(Vector256.Create(Beta2), Vector256.LoadUnsafe(ref m2, (nuint)p), Vector256.Create(1 - Beta2) * (grad * grad));
                    m.StoreUnsafe(ref m1, (nuint)p);
                    v.StoreUnsafe(ref m2, (nuint)p);
                    Vector256<float> step = Vector256.Create(lr) * (m * Vector256.Create(scale1)) / (Vector256.Sqrt(v * Vector256.Create(scale2)) + Vector256.Create(Epsilon));
                    (w - step).StoreUnsafe(ref parameters, (nuint)p);
                }

                for (; p < n; p++)
                {
                    ref float w = ref Unsafe.Add(ref parameters, p);
                    float grad = MathF.FusedMultiplyAdd(Unsafe.Add(ref decay, p), w, Unsafe.Add(ref gradient, p));
                    float m = MathF.FusedMultiplyAdd(Beta1, Unsafe.Add(ref m1, p), (1 - Beta1) * grad);
                    float v = MathF.FusedMultiplyAdd(Beta2, Unsafe.Add(ref m2, p), (1 - Beta2) * (grad * grad));
                    Unsafe.Add(ref m1, p) = m;
                    Unsafe.Add(ref m2, p) = v;
                    w -= lr * (m * scale1) / (MathF.Sqrt(v * scale2) + Epsilon);
                }
            }
            else
            {
                float momentum = (float)_options.Momentum;
                for (; p <= n - 8; p += 8)
                {
                    Vector256<float> w = Vector256.LoadUnsafe(ref parameters, (nuint)p);
                    Vector256<float> grad = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref decay, (nuint)p), w, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                    Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(momentum), Vector256.LoadUnsafe(ref m1, (nuint)p), grad);
                    m.StoreUnsafe(ref m1, (nuint)p);
                    (w - (Vector256.Create(lr) * m)).StoreUnsafe(ref parameters, (nuint)p);
                }

                for (; p < n; p++)
                {
                    ref float w = ref Unsafe.Add(ref parameters, p);
                    float grad = MathF.FusedMultiplyAdd(Unsafe.Add(ref decay, p), w, Unsafe.Add(ref gradient, p));
                    float m = MathF.FusedMultiplyAdd(momentum, Unsafe.Add(ref m1, p), grad);
                    Unsafe.Add(ref m1, p) = m;
                    w -= lr * m;
                }
            }

            TrainingProfile.Lap(TrainingProfile.Phase.Optimizer);
            FixedPointGrid.SnapFirstLayer(_shape, _parameters);
            TrainingProfile.Lap(TrainingProfile.Phase.Snap);
            Project(refresh: _step % _options.ProjectionInterval == 0);
            TrainingProfile.Lap(TrainingProfile.Phase.Project);
            _kernel.SetParameters(_parameters);
            TrainingProfile.Lap(TrainingProfile.Phase.KernelParameters);
        }
    }
}
