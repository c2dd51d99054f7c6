using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using GenBias;

namespace ClassificationStudy;

/// <summary>Grey images with digit labels, as read from the MNIST IDX files or the UCI digits CSV.</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Pixels">All images, one after another, row by row.</param>
/// <param name="Labels">The digit of each image.</param>
public sealed record ImageData(int Width, int Height, byte[] Pixels, byte[] Labels)
{
    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Image <paramref name="index"/>'s pixels.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Width * Height, Width * Height);

    /// <summary>A one-vs-rest ternary data set: label 1 for <paramref name="digit"/>, 0 for the others.</summary>
    public TernaryDataset OneVersusRest(int digit, TernarizeOptions options)
    {
        var rows = new sbyte[Count][];
        var labels = new int[Count];
        for (int i = 0; i < Count; i++)
        {
            rows[i] = ImageTernarizer.Ternarize(Image(i), Width, Height, options);
            labels[i] = Labels[i] == digit ? 1 : 0;
        }

        return TernaryDataset.FromArrays(rows, labels);
    }

    /// <summary>Reads MNIST IDX image and label files (optionally gzip-compressed: *.gz).</summary>
    /// <exception cref="InvalidDataException">A wrong magic number, truncated data, or counts that disagree.</exception>
    public static ImageData FromIdx(string imagesPath, string labelsPath)
    {
        byte[] images = ReadMaybeGzip(imagesPath), labels = ReadMaybeGzip(labelsPath);
        if (images.Length < 16 || BigEndian(images, 0) != 0x803)
        {
            throw new InvalidDataException($"{imagesPath}: not an IDX image file (magic 0x803 expected).");
        }

        if (labels.Length < 8 || BigEndian(labels, 0) != 0x801)
        {
            throw new InvalidDataException($"{labelsPath}: not an IDX label file (magic 0x801 expected).");
        }

        int count = BigEndian(images, 4), height = BigEndian(images, 8), width = BigEndian(images, 12);
        if (images.Length != 16 + ((long)count * width * height))
        {
            throw new InvalidDataException($"{imagesPath}: {images.Length - 16} pixel bytes for {count} images of {width} × {height}.");
        }

        if (BigEndian(labels, 4) != count || labels.Length != 8 + count)
        {
            throw new InvalidDataException($"{labelsPath}: {labels.Length - 8} labels for {count} images.");
        }

        return new ImageData(width, height, images[16..], labels[8..]);
    }

    /// <summary>Reads the UCI optical digits CSV (64 values 0..16, then the label), optionally gzip-compressed.</summary>
    public static ImageData FromDigitsCsv(string path)
    {
        using var reader = new StreamReader(new MemoryStream(ReadMaybeGzip(path)));
        var pixels = new List<byte>();
        var labels = new List<byte>();
        string? line;
        int number = 0;
        while ((line = reader.ReadLine()) != null)
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            if (fields.Length != 65)
            {
                throw new InvalidDataException($"{path} line {number}: {fields.Length} fields; 64 pixels and a label expected.");
            }

            for (int i = 0; i < 65; i++)
            {
                if (!int.TryParse(fields[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 0 || value > (i < 64 ? 16 : 9))
                {
                    throw new InvalidDataException($"{path} line {number}, field {i + 1}: '{fields[i]}' is not {(i < 64 ? "a pixel 0..16" : "a digit 0..9")}.");
                }

                (i < 64 ? pixels : labels).Add((byte)value);
            }
        }

        return new ImageData(8, 8, [.. pixels], [.. labels]);
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }

        return bytes;
    }

    private static int BigEndian(byte[] data, int offset) =>
        (data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];
}
