using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Conditioning.Scoring;

/// <summary>
/// Reads a "shapes world" image (a plain background with one or two coloured shapes, the world the embedded models
/// are trained on) and reports background, and per object colour, shape, size and position — from pixel statistics
/// only, no learned model, so it can measure whether a generated image follows its prompt.
/// </summary>
/// <remarks>
/// Method: background = nearest palette colour to the median border pixel; per-pixel coverage
/// = |pixel − background| / |fill − background| (antialiased edges count fractionally); objects = connected regions;
/// colour = nearest palette colour to the median of the object's most distinct pixels; bounding box from the coverage
/// profiles, so soft (decoded, blurred) edges sit where their coverage puts them; shape from two scale-free
/// features — the fraction of the bounding box covered (square 1, circle π/4, triangle ½, star ≈ 0.38) and how far the
/// centre of mass sits below the box centre (a triangle's sits ⅙ of the height lower); size from the shape's implied
/// extent; position = nearest of the five anchor points. Images of another size are resized to 64×64 first.
/// Stateless and thread-safe.
/// </remarks>
public static class ShapesJudge
{
    /// <summary>The side of the world's images in pixels.</summary>
    public const int ImageSize = 64;

    private static readonly (string Name, float R, float G, float B)[] Backgrounds =
    [
        ("white", 255, 255, 255), ("black", 0, 0, 0), ("gray", 128, 128, 128), ("beige", 232, 214, 178),
    ];

    private static readonly (string Name, float R, float G, float B)[] Colours =
    [
        ("red", 215, 35, 35), ("green", 40, 165, 50), ("blue", 40, 70, 215), ("yellow", 240, 215, 30),
        ("purple", 135, 55, 175), ("orange", 245, 135, 25), ("cyan", 30, 195, 215), ("pink", 240, 135, 185),
    ];

    private static readonly (string Name, double X, double Y)[] Positions =
    [
        ("left", 17, 32), ("right", 47, 32), ("top", 32, 17), ("bottom", 32, 47), ("center", 32, 32),
    ];

    // (fill ratio of the bounding box, centre-of-mass offset below the box centre as a fraction of its height)
    private static readonly (string Name, double Fill, double Drop)[] ShapeFeatures =
    [
        ("square", 1.0, 0.0), ("circle", Math.PI / 4, 0.0), ("triangle", 0.5, 1.0 / 6), ("star", 0.384, 0.053),
    ];

    /// <summary>Judges an image file (PNG, JPEG, … anything ImageSharp reads).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidImageContentException">The file is not a readable image.</exception>
    public static ShapesJudgement Judge(string path)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        return Judge(image);
    }

    /// <summary>Judges an image; it is resized (bicubic) to 64×64 when it has another size.</summary>
    public static ShapesJudgement Judge(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != ImageSize || image.Height != ImageSize)
        {
            using Image<Rgb24> small = image.Clone(c => c.Resize(ImageSize, ImageSize, KnownResamplers.Bicubic));
            return JudgePixels(Read(small));
        }

        return JudgePixels(Read(image));
    }

    /// <summary>Judges raw RGB pixels, row-major, 64×64×3 bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 64×64×3 bytes.</exception>
    public static ShapesJudgement Judge(ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length != ImageSize * ImageSize * 3) throw new ArgumentException($"expected {ImageSize}×{ImageSize}×3 = {ImageSize * ImageSize * 3} bytes of RGB, got {rgb.Length}", nameof(rgb));
        var pixels = new float[ImageSize * ImageSize * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = rgb[i];
        return JudgePixels(pixels);
    }

    private static float[] Read(Image<Rgb24> image)
    {
        var pixels = new float[ImageSize * ImageSize * 3];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < ImageSize; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < ImageSize; x++)
                {
                    int i = ((y * ImageSize) + x) * 3;
                    pixels[i] = row[x].R;
                    pixels[i + 1] = row[x].G;
                    pixels[i + 2] = row[x].B;
                }
            }
        });
        return pixels;
    }

    private static ShapesJudgement JudgePixels(float[] px)
    {
        const int n = ImageSize;
        var border = new List<int>(4 * n);
        for (int k = 0; k < n; k++)
        {
            border.Add(k);
            border.Add(((n - 1) * n) + k);
            border.Add(k * n);
            border.Add((k * n) + n - 1);
        }

        float[] bg = [Median(border, px, 0), Median(border, px, 1), Median(border, px, 2)];
        string background = Nearest(Backgrounds, bg);

        var diff = new float[n * n];
        for (int p = 0; p < n * n; p++) diff[p] = Math.Abs(px[p * 3] - bg[0]) + Math.Abs(px[(p * 3) + 1] - bg[1]) + Math.Abs(px[(p * 3) + 2] - bg[2]);

        var objects = new List<JudgedObject>();
        foreach (List<int> region in Regions(diff, threshold: 60))
        {
            JudgedObject? judged = JudgeObject(region, diff, px, bg);
            if (judged is not null) objects.Add(judged);
        }

        objects.Sort((a, b) => b.Area.CompareTo(a.Area));
        return new ShapesJudgement(background, objects);
    }

    private static JudgedObject? JudgeObject(List<int> region, float[] diff, float[] px, float[] bg)
    {
        const int n = ImageSize;
        if (region.Count < 4) return null;

        // The fill colour: the median of the most distinct quarter of the region's pixels (away from soft edges).
        float[] sorted = [.. region.Select(p => diff[p]).Order()];
        float cut = sorted[(int)(0.75 * (sorted.Length - 1))];
        List<int> core = [.. region.Where(p => diff[p] >= cut)];
        float[] fill = [Median(core, px, 0), Median(core, px, 1), Median(core, px, 2)];
        string colour = Nearest(Colours, fill);
        float contrast = Math.Abs(fill[0] - bg[0]) + Math.Abs(fill[1] - bg[1]) + Math.Abs(fill[2] - bg[2]);
        if (contrast <= 0) return null;

        // Coverage over the region grown by one pixel, so the faint antialiased rim counts too.
        var members = new HashSet<int>(region);
        foreach (int p in region)
        {
            int x = p % n, y = p / n;
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && xx < n && yy >= 0 && yy < n) members.Add((yy * n) + xx);
                }
            }
        }

        double area = 0, massY = 0;
        var colMax = new double[n];
        var rowMax = new double[n];
        int x0 = n, x1 = -1, y0 = n, y1 = -1;
        foreach (int p in members)
        {
            double c = Math.Clamp(diff[p] / contrast, 0, 1);
            if (c <= 0.02) continue;
            int x = p % n, y = p / n;
            area += c;
            massY += c * (y + 0.5);
            colMax[x] = Math.Max(colMax[x], c);
            rowMax[y] = Math.Max(rowMax[y], c);
            x0 = Math.Min(x0, x);
            x1 = Math.Max(x1, x);
            y0 = Math.Min(y0, y);
            y1 = Math.Max(y1, y);
        }

        if (x1 < 0 || area < 2) return null;

        // Sub-pixel bounding box from coverage mass (see Edges): a soft edge counts where its coverage says it is.
        (double left, double right) = Edges(colMax, x0, x1);
        (double top, double bottom) = Edges(rowMax, y0, y1);
        double w = right - left, h = bottom - top;
        double cx = (left + right) / 2, cy = (top + bottom) / 2;
        double fillRatio = area / (w * h);
        double drop = ((massY / area) - cy) / h;

        string shape = ShapeFeatures.MinBy(s => Math.Pow((fillRatio - s.Fill) / 0.08, 2) + Math.Pow((drop - s.Drop) / 0.04, 2)).Name;
        double extent = shape switch
        {
            "square" => Math.Max(w, h) / 2 / 0.85,
            "triangle" => w / 2,
            "star" => w / 2 / (1.1 * Math.Cos(Math.PI / 10)),
            _ => Math.Max(w, h) / 2,
        };
        string size = extent < 10 ? "small" : "large";
        string position = Positions.MinBy(q => Math.Pow(q.X - cx, 2) + Math.Pow(q.Y - cy, 2)).Name;
        return new JudgedObject(colour, shape, size, position, cx, cy, area);
    }

    /// <summary>
    /// The low and high edge of an object along one axis, from its coverage profile (the largest coverage in each
    /// column or row): the outermost entries at ≥ 90 % of the peak are taken as solid, and the coverage of the entries
    /// beyond them is added as a fraction of a pixel. For a crisp antialiased edge (one partial column) this is the
    /// usual sub-pixel edge; because a blur conserves coverage, it is also exact for a blurred straight edge, where
    /// the first non-zero column would make a decoded square's box too large (and its fill ratio a circle's).
    /// </summary>
    private static (double Low, double High) Edges(double[] profile, int first, int last)
    {
        double peak = 0;
        for (int i = first; i <= last; i++) peak = Math.Max(peak, profile[i]);
        int lo = first, hi = last;
        while (profile[lo] < 0.9 * peak) lo++;
        while (profile[hi] < 0.9 * peak) hi--;
        double below = 0, above = 0;
        for (int i = first; i < lo; i++) below += profile[i];
        for (int i = hi + 1; i <= last; i++) above += profile[i];
        return (lo - below, hi + 1 + above);
    }

    /// <summary>4-connected regions of pixels whose difference from the background exceeds the threshold.</summary>
    private static List<List<int>> Regions(float[] diff, float threshold)
    {
        const int n = ImageSize;
        var seen = new bool[n * n];
        var regions = new List<List<int>>();
        var stack = new Stack<int>();
        for (int start = 0; start < n * n; start++)
        {
            if (seen[start] || diff[start] <= threshold) continue;
            var region = new List<int>();
            seen[start] = true;
            stack.Push(start);
            while (stack.TryPop(out int p))
            {
                region.Add(p);
                int x = p % n, y = p / n;
                Visit(x - 1, y);
                Visit(x + 1, y);
                Visit(x, y - 1);
                Visit(x, y + 1);
            }

            regions.Add(region);
        }

        return regions;

        void Visit(int x, int y)
        {
            if (x < 0 || y < 0 || x >= n || y >= n) return;
            int q = (y * n) + x;
            if (seen[q] || diff[q] <= threshold) return;
            seen[q] = true;
            stack.Push(q);
        }
    }

    private static float Median(List<int> pixels, float[] px, int channel)
    {
        float[] values = [.. pixels.Select(p => px[(p * 3) + channel]).Order()];
        int m = values.Length / 2;
        return values.Length % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }

    private static string Nearest((string Name, float R, float G, float B)[] palette, float[] rgb) =>
        palette.MinBy(c => Math.Abs(c.R - rgb[0]) + Math.Abs(c.G - rgb[1]) + Math.Abs(c.B - rgb[2])).Name;
}
