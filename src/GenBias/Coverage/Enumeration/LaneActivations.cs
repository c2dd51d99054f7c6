using System;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>An activation over eight lanes, as a type, so that the counting leaf is compiled once per activation.</summary>
internal interface ILaneActivation
{
    static abstract Vector256<float> Apply(Vector256<float> x);
}

internal readonly struct TanhLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Tanh, x);
}

internal readonly struct HardTanhLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.HardTanh, x);
}

internal readonly struct SigmoidLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Sigmoid, x);
}

internal readonly struct ReLULanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.ReLU, x);
}

internal readonly struct LinearLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Linear, x);
}

internal readonly struct TernaryStepLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.TernaryStep, x);
}
