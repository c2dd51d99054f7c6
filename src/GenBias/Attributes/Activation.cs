namespace GenBias;

/// <summary>The activation function of a dense layer. The math lives in <see cref="ActivationMath"/>.</summary>
public enum Activation
{
    /// <summary>Hyperbolic tangent, output in (-1, 1).</summary>
    Tanh = 0,

    /// <summary>Clamp to [-1, 1].</summary>
    HardTanh = 1,

    /// <summary>Logistic sigmoid, output in (0, 1); computed as 0.5 + 0.5·tanh(x/2).</summary>
    Sigmoid = 2,

    /// <summary>max(x, 0).</summary>
    ReLU = 3,

    /// <summary>The identity.</summary>
    Linear = 4,

    /// <summary>
    /// Sign with a dead zone: +1 above <see cref="ActivationMath.TernaryStepDeadZone"/>, -1 below its negation,
    /// 0 between. Trained with a straight-through gradient (1 on [-1, 1], 0 outside).
    /// </summary>
    TernaryStep = 5,
}
