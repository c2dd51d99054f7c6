using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Declarations a hostile or unlucky user writes: verbatim (@) identifiers, names that differ only in case, classes
/// named like generated members, model file names with characters that mean something in C# comments, XML docs and
/// strings.
/// </summary>
public class HostileDeclarationTests
{
    /// <summary>Runs every network of the assembly named in <paramref name="fullNames"/> against the reference.</summary>
    private static void RunsLikeTheReference(Assembly assembly, params string[] fullNames)
    {
        var random = new Random(7);
        foreach (string fullName in fullNames)
        {
            Type type = assembly.GetType(fullName) ?? throw new InvalidOperationException($"{fullName} is not in the assembly");
            var network = (ITernaryNetwork)Activator.CreateInstance(type)!;
            float[] parameters = [.. Enumerable.Range(0, network.Shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5))];
            network.SetParameters(parameters);
            var reference = new ReferenceNetwork(network.Shape, parameters);
            sbyte[] input = [.. Enumerable.Range(0, network.Shape.InputCount).Select(i => (sbyte)((i % 3) - 1))];
            float[] actual = new float[network.Shape.OutputCount], expected = new float[network.Shape.OutputCount];
            network.Forward(input, actual);
            reference.Forward(input, expected);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void VerbatimIdentifier_DoesNotBreakOtherNetworks()
    {
        // A network in a verbatim namespace, nested in a verbatim class, named with a contextual keyword, next to a
        // plain one: all four generate, compile and run.
        string source = """
            using GenBias;
            namespace @namespace.X
            {
                public partial class @event
                {
                    [TernaryNetwork(Inputs = 3)]
                    [Dense(1, Activation.Tanh)]
                    public partial class Inner;
                }

                [TernaryNetwork(Inputs = 3)]
                [Dense(2, Activation.Tanh)]
                public partial class @record;

                [TernaryNetwork(Inputs = 4)]
                [Dense(1, Activation.Sigmoid)]
                public partial class @class;
            }

            namespace Plain
            {
                [TernaryNetwork(Inputs = 3)]
                [Dense(1, Activation.Tanh)]
                public partial class Good;
            }
            """;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(
            ["Plain.Good.g.cs", "namespace.X.class.g.cs", "namespace.X.event.Inner.g.cs", "namespace.X.record.g.cs"],
            result.Results.Single().GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(GeneratorHarness.WarningsAndErrors(output), d => d.Location.SourceTree?.FilePath != "Spec.cs");

        Assembly assembly = GeneratorHarness.CompileAndLoad(source);
        RunsLikeTheReference(assembly, "namespace.X.event+Inner", "namespace.X.record", "namespace.X.class", "Plain.Good");
    }

    [Fact]
    public void VerbatimIdentifier_NamesDifferingOnlyInCase_BothGenerate()
    {
        // Hint names are unique ignoring case; C# names are not.
        string source = """
            using GenBias;
            namespace Cased;
            [TernaryNetwork(Inputs = 3)]
            [Dense(1, Activation.Tanh)]
            public partial class Net;
            [TernaryNetwork(Inputs = 5)]
            [Dense(2, Activation.Tanh)]
            public partial class NET;
            """;
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.Results.Single().GeneratedSources.Length);
        RunsLikeTheReference(GeneratorHarness.CompileAndLoad(source), "Cased.Net", "Cased.NET");
    }

    [Fact]
    public void VerbatimIdentifier_UnicodeNames_GetValidHintNames()
    {
        // A combining mark and a non-ASCII letter: legal C#, so they must give legal hint names.
        string source = "using GenBias;\nnamespace Uni;\n" +
            "[TernaryNetwork(Inputs = 3)]\n[Dense(1, Activation.Tanh)]\npublic partial class Cafe\u0301;\n" +
            "[TernaryNetwork(Inputs = 3)]\n[Dense(1, Activation.Tanh)]\npublic partial class Gr\u00F6\u00DFe;\n" +
            "[TernaryNetwork(Inputs = 3)]\n[Dense(1, Activation.Tanh)]\npublic partial class Cafe_;\n";
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(3, result.Results.Single().GeneratedSources.Select(s => s.HintName).Distinct().Count());
        RunsLikeTheReference(GeneratorHarness.CompileAndLoad(source), "Uni.Cafe\u0301", "Uni.Gr\u00F6\u00DFe", "Uni.Cafe_");
    }
}
