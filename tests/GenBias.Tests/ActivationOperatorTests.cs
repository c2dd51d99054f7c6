using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

/// <summary>Each activation operator gives <see cref="ActivationMath"/>'s bits at every width, through the one mapping.</summary>
public class ActivationOperatorTests
{
    private struct Check(Activation activation) : IActivationWork
    {
        public int Mismatches;

        public void Run<T>()
            where T : struct, IActivationOperator
        {
            var random = new Random(5);
            for (int i = 0; i < 4096; i++)
            {
                float x = (float)((random.NextDouble() * 24) - 12), y = ActivationMath.Apply(activation, x);
                Mismatches += Bits(T.Apply(x)) != Bits(y) ? 1 : 0;
                Mismatches += !T.Apply(Vector128.Create(x)).Equals(ActivationMath.Apply(activation, Vector128.Create(x))) ? 1 : 0;
                Mismatches += !T.Apply(Vector256.Create(x)).Equals(ActivationMath.Apply(activation, Vector256.Create(x))) ? 1 : 0;
                Mismatches += !T.Apply(Vector512.Create(x)).Equals(ActivationMath.Apply(activation, Vector512.Create(x))) ? 1 : 0;
                Mismatches += Bits(T.Apply(x)) != Bits(T.Apply(Vector512.Create(x)).ToScalar()) ? 1 : 0;
                Mismatches += Bits(T.Derivative(x, y)) != Bits(ActivationMath.Derivative(activation, x, y)) ? 1 : 0;
                Mismatches += Bits(T.Derivative(Vector128.Create(x), Vector128.Create(y)).ToScalar()) != Bits(ActivationMath.Derivative(activation, x, y)) ? 1 : 0;
                Mismatches += Bits(T.Derivative(Vector256.Create(x), Vector256.Create(y)).ToScalar()) != Bits(ActivationMath.Derivative(activation, x, y)) ? 1 : 0;
            }
        }

        private static int Bits(float value) => BitConverter.SingleToInt32Bits(value);
    }

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.HardTanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.Linear)]
    [InlineData(Activation.TernaryStep)]
    public void Each_operator_gives_ActivationMaths_bits_at_every_width(Activation activation)
    {
        var check = new Check(activation);
        ActivationOperators.Dispatch(activation, ref check);
        Assert.Equal(0, check.Mismatches);
    }

    [Fact]
    public void An_undefined_activation_is_refused()
    {
        var check = new Check(Activation.Tanh);
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationOperators.Dispatch((Activation)99, ref check));
    }
}
