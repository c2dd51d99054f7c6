using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using GenBias.Tool;
using Spectre.Console;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// What a user reads holds together: every relative link and anchor in the repository's Markdown resolves; project
/// files (README, docs, changelog, code and its comments, the tool's help) describe the product, not the steps of its
/// own development; and the tool's help shows an example for every command.
/// </summary>
public partial class DocumentationTests
{
    /// <summary>Folders that hold build output or tooling rather than project text (test data is skipped too).</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { "bin", "obj", "TestResults", "node_modules" };

    private static string Root([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>The repository's files with one of the extensions, outside build output and test data.</summary>
    private static IEnumerable<string> Files(params string[] extensions)
    {
        var pending = new Stack<string>([Root()]);
        while (pending.Count > 0)
        {
            string folder = pending.Pop();
            foreach (string sub in Directory.EnumerateDirectories(folder))
            {
                string name = Path.GetFileName(sub);
                bool testData = name == "data" && Path.GetFileName(Path.GetDirectoryName(folder)) == "tests";
                if (!Skipped.Contains(name) && !testData && (!name.StartsWith('.') || name == ".ci"))
                {
                    pending.Push(sub);
                }
            }

            foreach (string file in Directory.EnumerateFiles(folder))
            {
                if (extensions.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                {
                    yield return file;
                }
            }
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(Root(), path).Replace('\\', '/');

    [GeneratedRegex(@"^(?<fence>```|~~~).*?^\k<fence>[ \t]*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"(?<ticks>`+)[^`].*?\k<ticks>", RegexOptions.Singleline)]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}[ \t]+(?<title>.+?)[ \t]*#*[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<a\s+(?:id|name)=""(?<id>[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex ExplicitAnchor();

    /// <summary>Markdown as rendered text: fenced blocks and code spans removed (a link in code is not a link).</summary>
    private static string Prose(string markdown) =>
        CodeSpan().Replace(FencedBlock().Replace(markdown.ReplaceLineEndings("\n"), ""), "");

    /// <summary>The anchors GitHub gives a page: each heading's slug (repeats numbered) and explicit ids.</summary>
    internal static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string text = FencedBlock().Replace(markdown.ReplaceLineEndings("\n"), "");
        foreach (Match heading in Heading().Matches(text))
        {
            string slug = Slug(heading.Groups["title"].Value);
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        foreach (Match anchor in ExplicitAnchor().Matches(text))
        {
            anchors.Add(anchor.Groups["id"].Value);
        }

        return anchors;
    }

    /// <summary>GitHub's heading slug: the rendered text in lower case, punctuation and symbols dropped, spaces as hyphens.</summary>
    internal static string Slug(string title)
    {
        string text = Link().Replace(title, m => m.Groups["text"].Value);
        var slug = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c == '-' || c == '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    [Theory]
    [InlineData("GB0001", "gb0001")]
    [InlineData("Model files, compiled-in models and the `genbias` tool", "model-files-compiled-in-models-and-the-genbias-tool")]
    [InlineData("Counting on a cluster (Microsoft Orleans)", "counting-on-a-cluster-microsoft-orleans")]
    [InlineData("The study: do preferred activations cost accuracy?", "the-study-do-preferred-activations-cost-accuracy")]
    [InlineData("Where `[Prefer]` goes → [layers](x.md)", "where-prefer-goes--layers")]
    public void Slug_is_GitHubs(string title, string slug) => Assert.Equal(slug, Slug(title));

    /// <summary>Every link of the repository's Markdown to a file of the repository: the page, the target as written, the file it resolves to and its anchor.</summary>
    private static IEnumerable<(string Page, string Target, string Resolved, string? Anchor)> RelativeLinks()
    {
        foreach (string page in Files(".md"))
        {
            foreach (Match link in Link().Matches(Prose(File.ReadAllText(page))))
            {
                string target = link.Groups["target"].Value;
                if (Regex.IsMatch(target, "^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase))
                {
                    continue; // https:, mailto: — not a file of the repository
                }

                int hash = target.IndexOf('#', StringComparison.Ordinal);
                string file = hash < 0 ? target : target[..hash];
                string? anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
                string resolved = file.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(file)));
                yield return (page, target, resolved, anchor);
            }
        }
    }

    [Fact]
    public void Every_relative_link_and_anchor_in_the_markdown_resolves()
    {
        var problems = new List<string>();
        var links = RelativeLinks().ToList();
        Assert.Contains(links, l => Relative(l.Page) == "README.md" && Relative(l.Resolved) == "docs/diagnostics.md");
        Assert.True(links.Count > 50, $"only {links.Count} relative links found");
        foreach ((string page, string target, string resolved, string? anchor) in links)
        {
            string where = $"{Relative(page)}: ({target})";
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                problems.Add($"{where}: {Relative(resolved)} does not exist");
            }
            else if (anchor is not null && resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase) && !Anchors(File.ReadAllText(resolved)).Contains(anchor))
            {
                problems.Add($"{where}: {Relative(resolved)} has no heading or anchor '{anchor}'");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every page of docs/ is reachable: another page links to it.</summary>
    [Fact]
    public void Every_documentation_page_is_linked_from_another_page()
    {
        HashSet<string> linked = [.. RelativeLinks().Where(l => l.Resolved != l.Page).Select(l => Relative(l.Resolved))];
        string[] unlinked = [.. Files(".md").Select(Relative).Where(p => p.StartsWith("docs/", StringComparison.Ordinal) && !linked.Contains(p))];
        Assert.True(unlinked.Length == 0, "not linked from any page: " + string.Join(", ", unlinked));
    }

    /// <summary>
    /// Words that name the project's own development rather than the product: numbered work items of its history, and
    /// the problem GenBias started from named as a thing of the past. "Seed" alone is fine: every trainer has one.
    /// </summary>
    [GeneratedRegex(@"\b(?:session|issue|stage|task)s? #?\d+\b|\b(?:this|the previous|the next|an earlier|a later) (?:session|issue)\b|\bthe seed(?:'s\b| (?:network|neuron|example|problem|calls)\b)|\bseed (?:network|neuron|problem)s?\b", RegexOptions.IgnoreCase)]
    private static partial Regex DevelopmentWords();

    [Theory]
    [InlineData("measured in session 8", true)]
    [InlineData("(issue 11, items 5, 6)", true)]
    [InlineData("// Stage 2: the valid specs alone", true)]
    [InlineData("The seed's framing: an output above 0.5", true)]
    [InlineData("the trained seed network", true)]
    [InlineData("The seed of the initial weights: the same seed gives the same model", false)]
    [InlineData("new InferenceSession(path); Task.Run(work)", false)]
    [InlineData("examples/SeedNeuron and SeedNetwork, seed-hidden-preferred.json", false)]
    [InlineData("a known issue of the runtime; a session of ONNX Runtime", false)]
    public void Development_words_are_recognised_and_the_product_words_are_not(string text, bool named) =>
        Assert.Equal(named, DevelopmentWords().IsMatch(text));

    /// <summary>This file, which quotes the words it looks for.</summary>
    private const string ThisFile = "tests/GenBias.Tests/DocumentationTests.cs";

    [Fact]
    public void Project_files_describe_the_product_not_its_development()
    {
        var problems = new List<string>();
        string[] files = [.. Files(".md", ".cs", ".csproj", ".props", ".targets", ".sh").Concat(Directory.EnumerateFiles(Path.Combine(Root(), ".ci")))];
        Assert.Contains(files, f => Relative(f) == "tools/GenBias.Tool/GenBiasTool.cs");
        foreach (string file in files.Distinct().Where(f => Relative(f) != ThisFile))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (DevelopmentWords().Match(lines[i]) is { Success: true } match)
                {
                    problems.Add($"{Relative(file)}:{i + 1}: \"{match.Value}\"");
                }
            }
        }

        Assert.True(problems.Count == 0, "Say what the product is or does (history goes to CHANGELOG.md, by version):\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("")]
    [InlineData("train")]
    [InlineData("certify")]
    [InlineData("calibrate")]
    [InlineData("export")]
    [InlineData("generate")]
    [InlineData("info")]
    public void Help_shows_an_example(string name)
    {
        string[] command = name.Length == 0 ? [] : [name];
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        Assert.Equal(GenBiasTool.Success, GenBiasTool.Run([.. command, "--help"], console));
        string help = text.ToString();
        Match examples = Regex.Match(help, @"EXAMPLES:\s*\n(?<lines>(?:[ \t]+genbias [^\n]+\n?)+)");
        Assert.True(examples.Success, help);
        foreach (string line in examples.Groups["lines"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] args = [.. Regex.Matches(line, "\"([^\"]*)\"|(\\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Skip(1)];
            Assert.True(GenBiasTool.Check(args) is null, $"{line}: {GenBiasTool.Check(args)}");
            if (command.Length == 1)
            {
                Assert.Equal(command[0], args[0]);
            }
        }
    }
}
