using System;
using GenBias;

namespace ClassificationStudy;

/// <summary>How to turn a grey image into ternary inputs.</summary>
/// <param name="CropLeft">The first column kept.</param>
/// <param name="CropTop">The first row kept.</param>
/// <param name="CropWidth">The columns kept.</param>
/// <param name="CropHeight">The rows kept.</param>
/// <param name="Block">The side of the square blocks averaged into one input (must divide the crop).</param>
/// <param name="MaxValue">The pixel value that means full ink (255 for MNIST, 16 for the UCI digits).</param>
/// <param name="Low">A block mean below Low · MaxValue becomes -1.</param>
/// <param name="High">A block mean above High · MaxValue becomes +1; anything between is 0.</param>
public sealed record TernarizeOptions(int CropLeft, int CropTop, int CropWidth, int CropHeight, int Block, double MaxValue, double Low, double High)
{
    /// <summary>MNIST 28×28 → the centre 20×20 → 4×4 blocks → 5×5 = 25 inputs; &lt; 0.15 → -1, &gt; 0.5 → +1.</summary>
    public static TernarizeOptions Mnist { get; } = new(4, 4, 20, 20, 4, 255, 0.15, 0.5);

    /// <summary>MNIST 28×28 at full resolution: every pixel one input (784), the same thresholds as <see cref="Mnist"/>.</summary>
    public static TernarizeOptions MnistFull { get; } = new(0, 0, 28, 28, 1, 255, 0.15, 0.5);

    /// <summary>UCI optical digits 8×8 (values 0..16) → 2×2 blocks → 4×4 = 16 inputs; &lt; 0.15 → -1, &gt; 0.5 → +1.</summary>
    public static TernarizeOptions Digits { get; } = new(0, 0, 8, 8, 2, 16, 0.15, 0.5);

    /// <summary>The number of inputs produced.</summary>
    public int InputCount => (CropWidth / Block) * (CropHeight / Block);
}

/// <summary>Crops an image, averages square blocks and maps each mean to -1, 0 or +1 with two thresholds.</summary>
public static class ImageTernarizer
{
    /// <summary>Ternarises one image of <paramref name="width"/> × <paramref name="height"/> pixels (row by row).</summary>
    /// <exception cref="ArgumentException">The image size, crop or block do not fit together.</exception>
    public static sbyte[] Ternarize(ReadOnlySpan<byte> pixels, int width, int height, TernarizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (pixels.Length != width * height)
        {
            throw new ArgumentException($"The image has {pixels.Length} pixels, not {width} × {height}.", nameof(pixels));
        }

        if (options.CropLeft < 0 || options.CropTop < 0 || options.CropLeft + options.CropWidth > width || options.CropTop + options.CropHeight > height)
        {
            throw new ArgumentException($"The crop ({options.CropLeft}, {options.CropTop}, {options.CropWidth} × {options.CropHeight}) does not fit a {width} × {height} image.", nameof(options));
        }

        if (options.Block < 1 || options.CropWidth % options.Block != 0 || options.CropHeight % options.Block != 0)
        {
            throw new ArgumentException($"Blocks of {options.Block} do not divide the {options.CropWidth} × {options.CropHeight} crop.", nameof(options));
        }

        if (!(options.Low <= options.High))
        {
            throw new ArgumentException($"The low threshold {options.Low} is above the high one {options.High}.", nameof(options));
        }

        int columns = options.CropWidth / options.Block, rows = options.CropHeight / options.Block;
        sbyte[] result = new sbyte[columns * rows];
        double area = options.Block * options.Block;
        for (int by = 0; by < rows; by++)
        {
            for (int bx = 0; bx < columns; bx++)
            {
                double sum = 0;
                for (int y = 0; y < options.Block; y++)
                {
                    for (int x = 0; x < options.Block; x++)
                    {
                        sum += pixels[((options.CropTop + (by * options.Block) + y) * width) + options.CropLeft + (bx * options.Block) + x];
                    }
                }

                double mean = sum / area / options.MaxValue;
                result[(by * columns) + bx] = mean < options.Low ? (sbyte)-1 : mean > options.High ? (sbyte)1 : (sbyte)0;
            }
        }

        return result;
    }
}
