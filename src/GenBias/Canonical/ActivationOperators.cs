using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// An activation as a type, so that the loops of the training kernel and of the counting leaf are compiled once per
/// activation with <see cref="ActivationMath"/>'s arithmetic inlined (no branch on the activation inside a loop): each
/// member is <see cref="ActivationMath"/>'s <c>Apply</c> or <c>Derivative</c> at a constant activation, for a float, a
/// <see cref="Vector128{T}"/>, a <see cref="Vector256{T}"/> and (Apply) a <see cref="Vector512{T}"/>, so the bits are
/// theirs; the functions themselves are defined once, in <see cref="ActivationMath"/>.
/// </summary>
internal interface IActivationOperator
{
    /// <summary>The activation of one value.</summary>
    static abstract float Apply(float x);

    /// <summary>The activation of each lane.</summary>
    static abstract Vector128<float> Apply(Vector128<float> x);

    /// <summary>The activation of each lane.</summary>
    static abstract Vector256<float> Apply(Vector256<float> x);

    /// <summary>The activation of each lane.</summary>
    static abstract Vector512<float> Apply(Vector512<float> x);

    /// <summary>The derivative from the pre-activation <paramref name="x"/> and the activation <paramref name="y"/>.</summary>
    static abstract float Derivative(float x, float y);

    /// <summary>The derivative of each lane from its pre-activation <paramref name="x"/> and activation <paramref name="y"/>.</summary>
    static abstract Vector128<float> Derivative(Vector128<float> x, Vector128<float> y);

    /// <summary>The derivative of each lane from its pre-activation <paramref name="x"/> and activation <paramref name="y"/>.</summary>
    static abstract Vector256<float> Derivative(Vector256<float> x, Vector256<float> y);
}

/// <summary><see cref="Activation.Tanh"/>.</summary>
internal readonly struct TanhOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.Tanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.Tanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Tanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.Tanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.Tanh, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.Tanh, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.Tanh, x, y);
}

/// <summary><see cref="Activation.HardTanh"/>.</summary>
internal readonly struct HardTanhOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.HardTanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.HardTanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.HardTanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.HardTanh, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.HardTanh, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.HardTanh, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.HardTanh, x, y);
}

/// <summary><see cref="Activation.Sigmoid"/>.</summary>
internal readonly struct SigmoidOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.Sigmoid, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.Sigmoid, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Sigmoid, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.Sigmoid, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.Sigmoid, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.Sigmoid, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.Sigmoid, x, y);
}

/// <summary><see cref="Activation.ReLU"/>.</summary>
internal readonly struct ReLUOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.ReLU, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.ReLU, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.ReLU, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.ReLU, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.ReLU, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.ReLU, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.ReLU, x, y);
}

/// <summary><see cref="Activation.Linear"/>.</summary>
internal readonly struct LinearOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.Linear, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.Linear, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Linear, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.Linear, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.Linear, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.Linear, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.Linear, x, y);
}

/// <summary><see cref="Activation.TernaryStep"/>.</summary>
internal readonly struct TernaryStepOperator : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => ActivationMath.Apply(Activation.TernaryStep, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x) => ActivationMath.Apply(Activation.TernaryStep, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.TernaryStep, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => ActivationMath.Apply(Activation.TernaryStep, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x, float y) => ActivationMath.Derivative(Activation.TernaryStep, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> x, Vector128<float> y) => ActivationMath.Derivative(Activation.TernaryStep, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => ActivationMath.Derivative(Activation.TernaryStep, x, y);
}

/// <summary>Work generic in the activation, run by <see cref="ActivationOperators.Dispatch"/>.</summary>
internal interface IActivationWork
{
    /// <summary>Runs the work with <typeparamref name="TActivation"/>.</summary>
    void Run<TActivation>()
        where TActivation : struct, IActivationOperator;
}

/// <summary>The one mapping of <see cref="Activation"/> values to their <see cref="IActivationOperator"/> types.</summary>
internal static class ActivationOperators
{
    /// <summary>Runs <paramref name="work"/> with the type of <paramref name="activation"/> (one branch, outside the work's loops).</summary>
    public static void Dispatch<TWork>(Activation activation, ref TWork work)
        where TWork : struct, IActivationWork
    {
        switch (activation)
        {
            case Activation.Tanh: work.Run<TanhOperator>(); break;
            case Activation.HardTanh: work.Run<HardTanhOperator>(); break;
            case Activation.Sigmoid: work.Run<SigmoidOperator>(); break;
            case Activation.ReLU: work.Run<ReLUOperator>(); break;
            case Activation.Linear: work.Run<LinearOperator>(); break;
            case Activation.TernaryStep: work.Run<TernaryStepOperator>(); break;
            default: throw new System.ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation.");
        }
    }
}
