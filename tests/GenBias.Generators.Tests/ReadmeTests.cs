using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Every C# block a user reads — README.md, the package's readme and every page under docs/ — compiles as written, with
/// the generator, without warnings, and runs. A block's info string says what it is:
/// <c>```csharp</c> is a whole program; <c>```csharp fragment</c> is part of one, shown for reading (kept few);
/// <c>```csharp GB0001</c> is a declaration that reports that diagnostic (docs/diagnostics.md), with the message quoted
/// below it.
/// </summary>
public partial class ReadmeTests
{
    [GeneratedRegex(@"^```csharp(?:[ \t]+(?<tag>[^\n]*?))?[ \t]*\n(?<code>.*?)^```[ \t]*\n(?:\s*\n)?(?<quote>(?:> [^\n]*\n)*)", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^GB\d{4}$")]
    private static partial Regex DiagnosticId();

    /// <summary>The most fragments the documentation may hold: a fragment is not tested, so it is the exception.</summary>
    private const int MaxFragments = 3;

    internal static string Root([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>The Markdown files a user reads, relative to the repository's root with '/' separators.</summary>
    internal static IEnumerable<string> UserPages()
    {
        string root = Root();
        yield return "README.md";
        yield return "src/GenBias/README.md";
        foreach (string page in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(root, page).Replace('\\', '/');
        }
    }

    private static List<(string Page, Match Block)> AllBlocks() =>
        [.. UserPages().SelectMany(page => CSharpBlock().Matches(Text(page)).Select(block => (page, block)))];

    private static string Text(string page) => File.ReadAllText(Path.Combine(Root(), page)).ReplaceLineEndings("\n");

    private static string Tag(Match block) => block.Groups["tag"].Value;

    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        foreach (string page in UserPages())
        {
            int count = CSharpBlock().Matches(Text(page)).Count;
            for (int i = 0; i < count; i++)
            {
                if (Tag(CSharpBlock().Matches(Text(page))[i]).Length == 0)
                {
                    data.Add(page, i);
                }
            }
        }

        return data;
    }

    public static TheoryData<string, int> DiagnosticExamples()
    {
        var data = new TheoryData<string, int>();
        MatchCollection blocks = CSharpBlock().Matches(Text("docs/diagnostics.md"));
        for (int i = 0; i < blocks.Count; i++)
        {
            if (DiagnosticId().IsMatch(Tag(blocks[i])))
            {
                data.Add(Tag(blocks[i]), i);
            }
        }

        return data;
    }

    [Fact]
    public void The_documentation_has_csharp_blocks_to_test()
    {
        List<(string Page, Match Block)> blocks = AllBlocks();
        Assert.True(blocks.Count(b => Tag(b.Block).Length == 0) >= 8, "whole programs");
        Assert.Contains(blocks, b => b.Page == "README.md" && Tag(b.Block).Length == 0);
        Assert.Contains(blocks, b => b.Page == "src/GenBias/README.md" && Tag(b.Block).Length == 0);
        string[] unknown = [.. blocks.Select(b => Tag(b.Block)).Where(t => t.Length > 0 && t != "fragment" && !DiagnosticId().IsMatch(t)).Distinct()];
        Assert.True(unknown.Length == 0, "unknown info strings: " + string.Join(", ", unknown));
        Assert.True(blocks.Count(b => Tag(b.Block) == "fragment") <= MaxFragments, "too many untested fragments");
        Assert.All(blocks.Where(b => DiagnosticId().IsMatch(Tag(b.Block))), b => Assert.Equal("docs/diagnostics.md", b.Page));
        Assert.True(blocks.Count(b => DiagnosticId().IsMatch(Tag(b.Block))) >= 25, "diagnostic examples");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void Documentation_block_compiles_and_runs(string page, int block)
    {
        string source = CSharpBlock().Matches(Text(page))[block].Groups["code"].Value;
        string name = $"{page}#{block}";
        Compilation output = Generate(source, OutputKind.ConsoleApplication, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emit = output.Emit(stream);
        Diagnostic[] problems = [.. emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        Assert.True(emit.Success && problems.Length == 0, $"{name}:\n{string.Join("\n", problems.Take(10))}\n{source}");

        stream.Position = 0;
        var context = new AssemblyLoadContext($"docs-{block}", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(stream);
            MethodInfo entry = assembly.EntryPoint!;
            TextWriter console = Console.Out;
            var captured = new StringWriter();
            Console.SetOut(captured);
            try
            {
                entry.Invoke(null, entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
            }
            finally
            {
                Console.SetOut(console);
            }

            Assert.NotEmpty(captured.ToString());
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Each example of docs/diagnostics.md reports its diagnostic, with the message quoted below it.</summary>
    [Theory]
    [MemberData(nameof(DiagnosticExamples))]
    public void Diagnostic_example_reports_its_id_and_message(string tag, int block)
    {
        Match match = CSharpBlock().Matches(Text("docs/diagnostics.md"))[block];
        Generate("using GenBias;\n" + match.Groups["code"].Value, OutputKind.DynamicallyLinkedLibrary, out ImmutableArray<Diagnostic> diagnostics);
        Diagnostic[] reported = [.. diagnostics.Where(d => d.Id == tag)];
        Assert.True(reported.Length > 0, $"{tag}: the example reports {string.Join(", ", diagnostics.Select(d => d.Id))}");
        string quote = match.Groups["quote"].Value.Trim();
        Assert.StartsWith("> ", quote, StringComparison.Ordinal);
        string[] messages = [.. reported.Select(d => d.GetMessage(CultureInfo.InvariantCulture))];
        Assert.True(messages.Contains(quote[2..]), $"{tag}: the page quotes\n{quote[2..]}\nbut the generator says\n{string.Join("\n", messages)}");
        Assert.Equal(DiagnosticDescriptors.HelpLink(tag), reported[0].Descriptor.HelpLinkUri);
    }

    /// <summary>Every diagnostic the generator declares links to its own section of docs/diagnostics.md, which exists.</summary>
    [Fact]
    public void Every_diagnostic_links_to_its_section()
    {
        DiagnosticDescriptor[] descriptors = [.. typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor)).Select(f => (DiagnosticDescriptor)f.GetValue(null)!)];
        string page = Text(DiagnosticDescriptors.HelpPage);
        string[] released = [.. Directory.EnumerateFiles(Path.Combine(Root(), "generators", "GenBias.Generators"), "AnalyzerReleases.*.md")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"^(GB\d{4}) \|", RegexOptions.Multiline)).Select(m => m.Groups[1].Value)];
        Assert.Equal(released.Order(), descriptors.Select(d => d.Id).Order());
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            string anchor = "gb" + descriptor.Id[2..];
            Assert.Equal($"docs/diagnostics.md#{anchor}", descriptor.HelpLinkUri);
            Assert.Matches(new Regex($"^## {descriptor.Id}$", RegexOptions.Multiline), page);
            Assert.Contains($"[{descriptor.Id}](#{anchor})", page, StringComparison.Ordinal);
        }
    }

    private static Compilation Generate(string source, OutputKind kind, out ImmutableArray<Diagnostic> generatorDiagnostics)
    {
        CSharpCompilation input = CSharpCompilation.Create(
            "Documentation",
            [CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, "Documentation.cs")],
            Net100.References.All.Add(MetadataReference.CreateFromFile(typeof(TernaryNetworkAttribute).Assembly.Location)),
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release));
        // A compiled-in model names its file as the walk-through project (examples/SeedCompiled) holds it; a name that
        // project does not hold is not an AdditionalFiles item (as GB0024's example means).
        string examples = Path.Combine(Root(), "examples", "SeedCompiled");
        AdditionalText[] files = [.. Regex.Matches(source, @"Model = ""([^""]+)""").Select(m => m.Groups[1].Value).Distinct()
            .Where(name => File.Exists(Path.Combine(examples, name)))
            .Select(name => new InMemoryAdditionalText("/readme/" + name, File.ReadAllText(Path.Combine(examples, name))))];
        GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out generatorDiagnostics);
        return output;
    }
}
