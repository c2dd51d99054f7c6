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
    public void Types_and_members_named_like_the_generated_aliases_do_not_capture_them()
    {
        // The generated code names types as GB::, GBC::, Sys::, Simd::, Runtime::, Interop::; a user's types, namespaces
        // and members of those names, in the network's namespace, its containing type and the network itself, change nothing.
        string source = """
            using GenBias;
            namespace Users
            {
                public class GB { }
                public class Sys { }
                public class Simd { public static int Vector256 => 0; }
                public class Runtime { }
                public static partial class Outer
                {
                    public class GBC { }
                    public static int Interop => 1;

                    [TernaryNetwork(Inputs = 9)]
                    [Dense(8, Activation.Tanh)]
                    [Dense(1, Activation.Sigmoid)]
                    public partial class Net
                    {
                        public int Unsafe => 2;
                        public class MemoryMarshal { }
                    }
                }
            }

            namespace Users.Interop { public class Marker { } }
            """;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
        RunsLikeTheReference(GeneratorHarness.CompileAndLoad(source), "Users.Outer+Net");
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
    public void VerbatimIdentifier_GenericContainingTypes_KeepTheirTypeParameters()
    {
        // Verbatim type parameter names: the generated partial declarations must repeat them exactly (CS1067 otherwise).
        string source = """
            using GenBias;
            namespace Generic;
            public partial class Outer<@class, T2>
            {
                [TernaryNetwork(Inputs = 3)]
                [Dense(1, Activation.Tanh)]
                public partial class Inner;
            }

            public partial class Pair<T1, @record>
            {
                [TernaryNetwork(Inputs = 3)]
                [Dense(1, Activation.Tanh)]
                public partial class Inner;
            }
            """;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.Results.Single().GeneratedSources.Length);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
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

    /// <summary>A small model saved by the runtime, as the text of a model file.</summary>
    private static string ModelText()
    {
        var network = new ReferenceNetwork(NetworkShape.Create(3, (2, Activation.Tanh), (1, Activation.Tanh)),
            [0.25f, -0.5f, 0.125f, 0.5f, 0.75f, -0.25f, 0.0625f, -0.125f, 0.375f, 0.5f, -0.0625f]);
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "genbias-hostile-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            ModelFile.Save(path, network);
            return System.IO.File.ReadAllText(path);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Theory]
    [InlineData(@"models/R&D.json")]
    [InlineData(@"models/<b>.json")]
    [InlineData(@"models/a\""b\\c.json")]
    [InlineData(@"models/x\r\n}class Injected{}//.json")]
    [InlineData(@"models/y\u2028z\u202E\u0085.json")]
    [InlineData(@"models/caf\u00E9 */ .json")]
    public void ModelFileName_IsEscapedInGeneratedCommentsDocsAndStrings(string written)
    {
        // written is the C# literal's content; fileName the string it denotes.
        string fileName = ((Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax)Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseExpression("\"" + written + "\"")).Token.ValueText;
        string source = $$"""
            using GenBias;
            namespace Files;
            /// <summary>A network compiled in from a file with an unusual name.</summary>
            [TernaryNetwork(Model = "{{written}}")]
            public partial class Odd;
            """;
        var parse = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        Compilation plain = GeneratorHarness.Compilation(source);
        Compilation input = plain.ReplaceSyntaxTree(plain.SyntaxTrees.Single(), Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source, parse, "Spec.cs"));
        GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(
            [new TernaryNetworkGenerator().AsSourceGenerator()], [new InMemoryAdditionalText("/project/" + fileName, ModelText())], parse);
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        GeneratedSourceResult generated = Assert.Single(driver.GetRunResult().Results.Single().GeneratedSources);
        string text = generated.SourceText.ToString();

        // Nothing the name holds reaches the code as code: no CS1570 (bad XML), no injected type, the lines intact.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Null(output.GetTypeByMetadataName("Injected"));
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\u2028', text);
        Assert.DoesNotContain('\u202E', text);

        // And the constant still holds the exact name.
        using var stream = new System.IO.MemoryStream();
        Assert.True(output.Emit(stream).Success);
        var context = new System.Runtime.Loader.AssemblyLoadContext("hostile-" + Guid.NewGuid(), isCollectible: true);
        stream.Position = 0;
        Type type = context.LoadFromStream(stream).GetType("Files.Odd", throwOnError: true)!;
        Assert.Equal(fileName, type.GetField("ModelFileName")!.GetValue(null));
        var network = (ITernaryNetwork)Activator.CreateInstance(type)!;
        Assert.Equal(11, network.Parameters.Length);
        context.Unload();
    }

    [Fact]
    public void ModelFileName_GeneratedDocs_AreValidWithDocumentationDiagnostics()
    {
        // A project with GenerateDocumentationFile and warnings as errors: the generated XML docs must be well formed
        // and every cref must resolve, whatever the shape (tables, rows in lanes, no packed form, several outputs).
        string source = """
            using GenBias;
            namespace Docs;
            /// <summary>Tables.</summary>
            [TernaryNetwork(Inputs = 25)] [Dense(16, Activation.Tanh)] [Dense(1, Activation.Tanh)]
            public partial class Tables;
            /// <summary>Rows in lanes, no packed form.</summary>
            [TernaryNetwork(Inputs = 70)] [Dense(16, Activation.ReLU)] [Dense(3, Activation.Sigmoid)]
            public partial class Wide;
            /// <summary>One neuron.</summary>
            [TernaryNetwork(Inputs = 7)] [Dense(1, Activation.Linear)]
            public partial class One;
            """;
        var parse = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        Compilation plain = GeneratorHarness.Compilation(source);
        Compilation input = plain.ReplaceSyntaxTree(plain.SyntaxTrees.Single(), Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source, parse, "Spec.cs"));
        Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new TernaryNetworkGenerator().AsSourceGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void GeneratedMemberName_AsClassName_GetsGB0022AtTheAttribute()
    {
        // Every name the emitter declares in a two-layer network, as the network class's name (one namespace each).
        string[] names = [.. TernaryNetworkGenerator.ReservedNames(2).Order(StringComparer.Ordinal)];
        Assert.Contains("Shape", names);
        Assert.Contains("ForwardBatch", names);
        Assert.Contains("Layer1WeightOffset", names);
        var source = new System.Text.StringBuilder("using GenBias;\n");
        foreach (string name in names)
        {
            source.Append($"namespace N{name} {{ [TernaryNetwork(Inputs = 25)] [Dense(16, Activation.Tanh)] [Dense(1, Activation.Tanh)] public partial class {name}; }}\n");
        }

        source.Append("namespace Fine { [TernaryNetwork(Inputs = 3)] [Dense(1, Activation.Tanh)] public partial class Layer2WeightOffset; }\n");
        string text = source.ToString();
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(text);

        Assert.Equal(names.Length, result.Diagnostics.Length);
        foreach (string name in names)
        {
            Diagnostic diagnostic = Assert.Single(result.Diagnostics, d => d.Location.SourceSpan.Start > text.IndexOf($"namespace N{name} {{", StringComparison.Ordinal) &&
                d.Location.SourceSpan.Start < text.IndexOf('\n', text.IndexOf($"namespace N{name} {{", StringComparison.Ordinal)));
            Assert.Equal("GB0022", diagnostic.Id);
            Assert.Equal("TernaryNetwork(Inputs = 25)", text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
            Assert.Equal($"The network class '{name}' has a name the generated network code uses for a member, and a member cannot have the name of its class; " +
                "rename it (GenBias generates the members of ITernaryNetwork, the layout constants, Shape, Preferences, Path, and private helpers such as _parameters and Run)",
                diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Only the network whose name is free (three layers would be needed for Layer2…) is generated; nothing fails in generated code.
        Assert.Equal(["Fine.Layer2WeightOffset.g.cs"], result.Results.Single().GeneratedSources.Select(s => s.HintName));
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id == "CS0542" || d.Location.SourceTree?.FilePath != "Spec.cs");
    }

    [Fact]
    public void GeneratedMemberName_ListIsWhatTheEmitterDeclares()
    {
        // The reserved list is derived from emitted code; this checks the derivation on shapes it does not use itself:
        // every member any of them declares is reserved, for its layer count.
        var random = new Random(5);
        var source = new System.Text.StringBuilder("using GenBias;\nnamespace Probe;\n");
        var layerCounts = new Dictionary<string, int>();
        for (int i = 0; i < 24; i++)
        {
            int inputs = random.Next(1, 100), layers = random.Next(1, 9);
            source.Append($"[TernaryNetwork(Inputs = {inputs})]");
            for (int l = 0; l < layers; l++)
            {
                source.Append($"[Dense({random.Next(1, 40)}, Activation.{(Activation)random.Next(6)})]");
            }

            source.Append($" public partial class P{i};\n");
            layerCounts[$"P{i}"] = layers;
        }

        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source.ToString());
        Assert.Empty(result.Diagnostics);
        foreach (GeneratedSourceResult generated in result.Results.Single().GeneratedSources)
        {
            var type = generated.SyntaxTree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax>().Single();
            IReadOnlyCollection<string> reserved = TernaryNetworkGenerator.ReservedNames(layerCounts[type.Identifier.ValueText]);
            foreach (var member in type.Members)
            {
                string? name = member switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax f => f.Declaration.Variables.Single().Identifier.ValueText,
                    Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } p => p.Identifier.ValueText,
                    Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } m => m.Identifier.ValueText,
                    _ => null,
                };
                Assert.True(name is null || reserved.Contains(name), $"{type.Identifier.ValueText} declares {name}, which is not reserved");
            }
        }
    }
}
