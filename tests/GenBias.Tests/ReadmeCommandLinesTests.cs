using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GenBias.Tool;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The lines of the README and of docs/ that are not C# (ReadmeTests compiles those): every XML block parses and names
/// only instruction sets NativeAOT knows; every `genbias` line uses only options its command declares, with a value
/// where one is needed; every `dotnet` line names a project or folder that exists in the repository (build outputs aside).
/// </summary>
public partial class ReadmeCommandLinesTests
{
    /// <summary>The instruction sets ILCompiler accepts for x64 (`IlcInstructionSet`), as documented for .NET 8 and later.</summary>
    private static readonly HashSet<string> InstructionSets = ["native", "x86-64", "x86-64-v1", "x86-64-v2", "x86-64-v3", "x86-64-v4"];

    /// <summary>The README, the package's readme and every page under docs/, one after the other.</summary>
    private static string Readme([CallerFilePath] string here = "")
    {
        string root = Path.Combine(Path.GetDirectoryName(here)!, "..", "..");
        IEnumerable<string> pages = new[] { "README.md", Path.Combine("src", "GenBias", "README.md") }.Select(p => Path.Combine(root, p))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return string.Join("\n", pages.Select(p => File.ReadAllText(p).ReplaceLineEndings("\n")));
    }

    private static IEnumerable<string> Blocks(string language) =>
        Regex.Matches(Readme(), $"```{language}\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value);

    [Fact]
    public void ReadmeXml_ParsesAndNamesKnownInstructionSets()
    {
        string[] blocks = [.. Blocks("xml")];
        Assert.NotEmpty(blocks);
        foreach (string block in blocks)
        {
            XElement root = XElement.Parse(block);
            foreach (XElement set in root.DescendantsAndSelf("IlcInstructionSet"))
            {
                Assert.All(set.Value.Split(','), name => Assert.Contains(name.Trim(), InstructionSets));
            }
        }

        Assert.DoesNotContain("x86-x64", Readme(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeShell_GenbiasLinesUseOnlyDeclaredOptions()
    {
        string[] lines = [.. Blocks("sh").SelectMany(b => b.Split('\n')).Select(l => l.Trim()).Where(l => l.StartsWith("genbias ", StringComparison.Ordinal))];
        Assert.True(lines.Length >= 6, $"{lines.Length} genbias lines");
        foreach (string line in lines)
        {
            string[] args = Words(line.Split("   #")[0])[1..];
            Assert.True(GenBiasTool.Check(args) is null, $"{line}: {GenBiasTool.Check(args)}");
        }
    }

    [Fact]
    public void ReadmeShell_DotnetLinesNameProjectsThatExist()
    {
        string root = Path.GetDirectoryName(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Here())!, "..", "..", "README.md")))!;
        foreach (string line in Blocks("sh").SelectMany(b => b.Split('\n')).Select(l => l.Trim()).Where(l => l.StartsWith("dotnet ", StringComparison.Ordinal)))
        {
            foreach (string word in Words(line).Where(w => w.Contains('/', StringComparison.Ordinal) && !w.StartsWith('~') && !w.StartsWith("http", StringComparison.Ordinal) && !w.Contains("/bin/", StringComparison.Ordinal)))
            {
                Assert.True(File.Exists(Path.Combine(root, word)) || Directory.Exists(Path.Combine(root, word)), $"{line}: {word} does not exist");
            }
        }
    }

    private static string Here([CallerFilePath] string here = "") => here;

    /// <summary>Shell words: spaces separate, double quotes group.</summary>
    private static string[] Words(string line) =>
        [.. Regex.Matches(line, "\"([^\"]*)\"|(\\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)];
}
