using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

/// <summary>The shared activation math: vector forms equal the scalar form bit for bit, and the scalar form is accurate.</summary>
public class ActivationMathTests
{
    private static float[] Samples()
    {
        var random = new Random(1);
        float[] values = new float[4096];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i switch
            {
                0 => 0f, 1 => -0f, 2 => 1f, 3 => -1f, 4 => 0.5f, 5 => -0.5f, 6 => 7.9053111f, 7 => -20f, 8 => 1e-30f,
                _ => (float)((random.NextDouble() * 24) - 12) * (i % 3 == 0 ? 0.05f : 1f),
            };
        }

        return values;
    }

    [Fact]
    public void Vector256_and_Vector512_equal_scalar_bit_for_bit_for_every_activation()
    {
        float[] x = Samples();
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            for (int i = 0; i < x.Length; i += 16)
            {
                Vector512<float> v512 = ActivationMath.Apply(activation, Vector512.Create(x.AsSpan(i, 16)));
                Vector256<float> v256 = ActivationMath.Apply(activation, Vector256.Create(x.AsSpan(i, 8)));
                for (int lane = 0; lane < 16; lane++)
                {
                    float scalar = ActivationMath.Apply(activation, x[i + lane]);
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(v512[lane]));
                    if (lane < 8)
                    {
                        Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(v256[lane]));
                        float y = scalar;
                        Assert.Equal(ActivationMath.Derivative(activation, x[i + lane], y),
                            ActivationMath.Derivative(activation, Vector256.Create(x.AsSpan(i, 8)), v256)[lane]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Tanh_and_sigmoid_are_within_a_few_ulp_of_the_true_functions()
    {
        foreach (float x in Samples())
        {
            Assert.True(Math.Abs(ActivationMath.Tanh(x) - Math.Tanh(x)) <= 3e-7, $"tanh({x})");
            Assert.True(Math.Abs(ActivationMath.Apply(Activation.Sigmoid, x) - (1 / (1 + Math.Exp(-x)))) <= 3e-7, $"sigmoid({x})");
        }
    }

    [Fact]
    public void Piecewise_activations_follow_their_definitions()
    {
        Assert.Equal(1f, ActivationMath.Apply(Activation.HardTanh, 3f));
        Assert.Equal(-1f, ActivationMath.Apply(Activation.HardTanh, -3f));
        Assert.Equal(0.25f, ActivationMath.Apply(Activation.HardTanh, 0.25f));
        Assert.Equal(0f, ActivationMath.Apply(Activation.ReLU, -2f));
        Assert.Equal(2f, ActivationMath.Apply(Activation.ReLU, 2f));
        Assert.Equal(1f, ActivationMath.Apply(Activation.TernaryStep, 0.51f));
        Assert.Equal(0f, ActivationMath.Apply(Activation.TernaryStep, 0.5f));
        Assert.Equal(-1f, ActivationMath.Apply(Activation.TernaryStep, -0.51f));
        Assert.Equal(1f, ActivationMath.Derivative(Activation.TernaryStep, 0.9f, 1f));
        Assert.Equal(0f, ActivationMath.Derivative(Activation.TernaryStep, 1.5f, 1f));
    }

    [Fact]
    public void Tanh_is_odd_and_monotone_on_the_grid_from_minus_9_to_9()
    {
        float previous = ActivationMath.Tanh(-9f);
        for (float x = -9f; x <= 9f; x = MathF.BitIncrement(x + (1f / 65536)))
        {
            float y = ActivationMath.Tanh(x);
            Assert.True(y >= previous, $"tanh drops by {previous - y} at {x}");
            Assert.Equal(BitConverter.SingleToInt32Bits(-y), BitConverter.SingleToInt32Bits(ActivationMath.Tanh(-x)));
            previous = y;
        }
    }
}
