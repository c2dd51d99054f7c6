using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace GenBias;

/// <summary>The finished sub-cubes and their counts, saved atomically so that a count survives an interruption.</summary>
internal sealed class CountCheckpoint
{
    public string Signature { get; set; } = "";

    public Dictionary<int, long[]> Done { get; set; } = [];

    /// <summary>SHA-256 of the signature and every entry: an edited or half-written checkpoint is refused, never used.</summary>
    public string Digest { get; set; } = "";

    private string ComputeDigest()
    {
        var text = new System.Text.StringBuilder(Signature);
        foreach (KeyValuePair<int, long[]> entry in System.Linq.Enumerable.OrderBy(Done, e => e.Key))
        {
            text.Append('|').Append(entry.Key).Append(':').Append(string.Join(",", entry.Value));
        }

        return System.Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Throws unless every entry is a sub-cube below <paramref name="subCubes"/> with a count and a decided size in range.</summary>
    public void Check(string path, long subCubes, long size, long neurons)
    {
        foreach (KeyValuePair<int, long[]> entry in Done)
        {
            if (entry.Key < 0 || entry.Key >= subCubes || entry.Value is not { Length: 2 } v ||
                v[0] < 0 || v[0] > size * neurons || v[1] < 0 || v[1] > size)
            {
                throw new InvalidDataException($"{path}: the checkpoint's entry for sub-cube {entry.Key} is out of range; delete it to start over.");
            }
        }
    }

    public static CountCheckpoint? Load(string? path, string signature)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        CountCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(File.ReadAllBytes(path), CountCheckpointJsonContext.Default.CountCheckpoint);
        }
        catch (Exception e) when (e is JsonException or System.NotSupportedException or System.ArgumentException)
        {
            throw new InvalidDataException($"{path}: the checkpoint is not readable: {e.Message}", e);
        }

        if (checkpoint is null || checkpoint.Signature != signature)
        {
            throw new InvalidDataException($"{path}: the checkpoint belongs to another network, preference or split; delete it to start over.");
        }

        if (checkpoint.Done is null || checkpoint.Digest != checkpoint.ComputeDigest())
        {
            throw new InvalidDataException($"{path}: the checkpoint's digest does not match its entries (edited or damaged); delete it to start over.");
        }

        return checkpoint;
    }

    public void Save(string path)
    {
        Digest = ComputeDigest();
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, CountCheckpointJsonContext.Default.CountCheckpoint));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CountCheckpoint))]
internal sealed partial class CountCheckpointJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
