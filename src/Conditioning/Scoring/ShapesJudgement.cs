namespace Conditioning.Scoring;

/// <summary>What <see cref="ShapesJudge"/> saw in a shapes-world image.</summary>
/// <param name="Background">white, black, gray or beige.</param>
/// <param name="Objects">The objects found, largest first; empty when the image is a plain background.</param>
public sealed record ShapesJudgement(string Background, IReadOnlyList<JudgedObject> Objects)
{
    /// <summary>The largest object, or <see langword="null"/> when none was found.</summary>
    public JudgedObject? Main => Objects.Count > 0 ? Objects[0] : null;
}

/// <summary>One object in a shapes-world image.</summary>
/// <param name="Colour">red, green, blue, yellow, purple, orange, cyan or pink.</param>
/// <param name="Shape">circle, square, triangle or star.</param>
/// <param name="Size">small or large.</param>
/// <param name="Position">left, right, top, bottom or center.</param>
/// <param name="CenterX">Bounding-box centre x in pixels of a 64×64 image.</param>
/// <param name="CenterY">Bounding-box centre y in pixels.</param>
/// <param name="Area">Covered area in pixels (antialiased edges count fractionally).</param>
public sealed record JudgedObject(string Colour, string Shape, string Size, string Position, double CenterX, double CenterY, double Area);
