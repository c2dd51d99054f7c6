using System;
using System.IO;
using System.Security.Cryptography;

namespace GenBias;

/// <summary>Writes files so that readers see the old content or the new, never a part.</summary>
public static class AtomicFile
{
    /// <summary>Characters of the target's name kept in the temporary file's name, so that a leftover one says whose it was.</summary>
    private const int NameCharacters = 32;

    /// <summary>
    /// Writes <paramref name="bytes"/> to a temporary file in the same folder, flushes it, and renames it over
    /// <paramref name="path"/>. The temporary name is short — <c>.&lt;up to 32 characters of the name&gt;.&lt;8 hex
    /// digits&gt;.tmp</c>, at most 46 characters — so any name the file system allows can be written. Missing folders
    /// are created.
    /// </summary>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, or a folder on the way to it is a file.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"Cannot write {full}: it is a folder.");
        }

        string directory = Path.GetDirectoryName(full) ?? ".";
        for (string? ancestor = directory; ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (File.Exists(ancestor))
            {
                throw new IOException($"Cannot write {full}: {ancestor} is a file, not a folder.");
            }

            if (Directory.Exists(ancestor))
            {
                break;
            }
        }

        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, TemporaryName(Path.GetFileName(full)));
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes text as UTF-8 (see <see cref="Write(string, ReadOnlySpan{byte})"/>).</summary>
    public static void WriteText(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));

    private static string TemporaryName(string name)
    {
        int keep = Math.Min(name.Length, NameCharacters);
        if (keep > 0 && char.IsHighSurrogate(name[keep - 1]))
        {
            keep--;
        }

        return $".{name[..keep]}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp";
    }
}
