using System;
using System.IO;
using System.Runtime.CompilerServices;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Compares text with a checked-in <c>Golden/*.verified.cs</c> file next to the test. <c>UPDATE_SNAPSHOTS=1</c>
/// rewrites the files; a missing file fails, and outside CI it is written for review.
/// </summary>
internal static class GoldenFile
{
    public static void Verify(string actual, string name, [CallerFilePath] string testFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Golden");
        string path = Path.Combine(directory, name + ".verified.cs");
        actual = actual.Replace("\r\n", "\n");
        bool update = Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";
        if (update || (!File.Exists(path) && Environment.GetEnvironmentVariable("CI") != "true"))
        {
            bool existed = File.Exists(path);
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, actual);
            if (!update && !existed)
            {
                Assert.Fail($"The golden file {path} did not exist; it has been written. Review it and commit it.");
            }

            return;
        }

        Assert.True(File.Exists(path), $"The golden file {path} is missing (run the tests with UPDATE_SNAPSHOTS=1 to create it).");
        string expected = File.ReadAllText(path).Replace("\r\n", "\n");
        if (expected != actual)
        {
            File.WriteAllText(Path.ChangeExtension(path, null).Replace(".verified", ".received") + ".cs", actual);
            string[] e = expected.Split('\n'), a = actual.Split('\n');
            int line = 0;
            while (line < Math.Min(e.Length, a.Length) && e[line] == a[line])
            {
                line++;
            }

            Assert.Fail($"Generated code differs from {name}.verified.cs at line {line + 1}:\n" +
                $"expected: {(line < e.Length ? e[line] : "<end>")}\nactual:   {(line < a.Length ? a[line] : "<end>")}\n" +
                "If the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff.");
        }
    }
}
