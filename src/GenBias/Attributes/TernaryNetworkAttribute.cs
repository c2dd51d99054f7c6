using System;

namespace GenBias;

/// <summary>
/// Marks a partial class as a network over ternary inputs ({-1, 0, +1}). The GenBias source generator adds
/// forward and backward code specialised to the layers declared with <see cref="DenseAttribute"/>.
/// </summary>
/// <example>
/// <code>
/// [TernaryNetwork(Inputs = 25)]
/// [Dense(16, Activation.Tanh)]
/// [Dense(1, Activation.Tanh)]
/// public partial class SeedNetwork;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TernaryNetworkAttribute : Attribute
{
    /// <summary>The number of ternary inputs, 1 to <see cref="ShapeRules.MaxInputs"/>.</summary>
    public int Inputs { get; set; }
}
