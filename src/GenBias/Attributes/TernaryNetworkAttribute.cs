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

    /// <summary>
    /// A model file (as written by <see cref="ModelFile.Save"/>) to compile into the type: the file must be an
    /// <c>AdditionalFiles</c> item of the project (matched by this path's end: a file name is enough when it is
    /// unique). The generator takes the shape from the file (Inputs and [Dense] may be omitted; where given they
    /// must agree), embeds the parameters as static data and adds a parameterless constructor that loads them, so
    /// the network runs with no file and no <c>SetParameters</c> at run time. The file's preferences become
    /// <c>Preferences</c> unless the class declares its own with [Prefer]. <c>SetParameters</c> still replaces the
    /// parameters of one instance (to fine-tune from the compiled-in ones).
    /// </summary>
    public string? Model { get; set; }
}
