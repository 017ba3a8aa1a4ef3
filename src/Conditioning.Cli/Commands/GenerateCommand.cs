using System.CommandLine;
using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Pipelines.Generation;
using Conditioning.Pipelines.Images;
using Conditioning.Pipelines.Schedulers;
using Conditioning.Prompts;
using Conditioning.Scoring;
using Spectre.Console;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning generate</c>: the main job — a weighted prompt in, a PNG out.</summary>
internal static class GenerateCommand
{
    /// <summary>The embedded model the command uses when --model is not given.</summary>
    public const string DefaultModel = "models/tiny-flux";

    public static Command Create(CliIO io)
    {
        var prompt = new Argument<string>("prompt") { Description = "The prompt, in the chosen dialect's syntax." };
        var model = new Option<string>("--model", "-m") { Description = $"A diffusers ONNX model folder (default: {DefaultModel}, the embedded tiny model).", DefaultValueFactory = _ => DefaultModel };
        var negative = new Option<string?>("--negative", "-n") { Description = "Negative prompt." };
        var dialect = new Option<string>("--dialect", "-d") { Description = "Prompt dialect: a1111, compel or comfy.", DefaultValueFactory = _ => "a1111" };
        dialect.AcceptOnlyFromAmong("a1111", "compel", "comfy");
        var seed = new Option<ulong>("--seed") { Description = "Seed (PyTorch-compatible CPU noise).", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 20 };
        var guidance = new Option<float?>("--guidance", "-g") { Description = "Classifier-free guidance scale (default: the model's — 7.5 SD, 1 for Flux)." };
        var scheduler = new Option<string?>("--scheduler") { Description = $"Scheduler instead of the model's: {string.Join(", ", SchedulerFactory.KnownNames)} or ddim, pndm, euler, euler_a, dpm++2m, dpm++2m_karras, lcm, flow_euler, flow_euler_ode, flow_euler_stochastic." };
        var batch = new Option<int>("--batch") { Description = "Images to generate (seeds seed, seed+1, …).", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Output PNG (with --batch, an index is added before the extension).", DefaultValueFactory = _ => new FileInfo("out.png") };
        var size = new Option<int?>("--size") { Description = "Image side in pixels (default: the model's native size)." };
        var judge = new Option<bool>("--judge") { Description = "Report what the shapes-world judge sees in each image (for the embedded models)." };
        var bestOf = new Option<int>("--best-of") { Description = "Generate N candidates per image and keep the one with the highest CLIP score against the prompt.", DefaultValueFactory = _ => 1 };
        var clip = new Option<string>("--clip") { Description = "CLIP model folder for --best-of (text_model.onnx, vision_model.onnx, tokenizer, preprocessor_config.json).", DefaultValueFactory = _ => "models/tiny-clip" };
        var command = new Command("generate", "Generate an image from a weighted prompt (A1111, Compel or ComfyUI syntax) with a diffusers ONNX model.")
        {
            prompt, model, negative, dialect, seed, steps, guidance, scheduler, batch, output, size, judge, bestOf, clip,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            string modelPath = ResolveModel(parse.GetValue(model)!);
            int count = parse.GetValue(batch);
            int candidates = parse.GetValue(bestOf);
            if (count < 1 || parse.GetValue(steps) < 1 || candidates < 1)
            {
                await io.Error.WriteLineAsync("error: --batch, --steps and --best-of must be at least 1");
                return CliApp.UserError;
            }

            if (Directory.Exists(parse.GetValue(output)!.FullName))
            {
                // Checked before generating, so a long run does not end in an unwritable output.
                await io.Error.WriteLineAsync($"error: --out '{parse.GetValue(output)!.FullName}' is a folder; give a .png file path");
                return CliApp.UserError;
            }

            try
            {
                using DiffusionPipeline pipeline = DiffusionPipeline.Load(modelPath);
                using ClipModel? clipModel = candidates > 1 ? ClipModel.FromFolder(ResolveModel(parse.GetValue(clip)!)) : null;
                IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out) });
                PromptDialect d = parse.GetValue(dialect) switch { "compel" => PromptDialect.Compel, "comfy" => PromptDialect.ComfyUI, _ => PromptDialect.A1111 };
                string plainPrompt = PromptText.Plain(parse.GetRequiredValue(prompt), d);
                FileInfo target = parse.GetValue(output)!;
                var scorer = clipModel is null ? null : new ClipScorer(clipModel);
                for (int i = 0; i < count; i++)
                {
                    var candidatesMade = new List<(GeneratedImage Image, float Score)>();
                    for (int k = 0; k < candidates; k++)
                    {
                        var options = new GenerationOptions
                        {
                            Seed = parse.GetValue(seed) + (ulong)((i * candidates) + k),
                            Steps = parse.GetValue(steps),
                            GuidanceScale = parse.GetValue(guidance),
                            Scheduler = parse.GetValue(scheduler),
                            Width = parse.GetValue(size),
                            Height = parse.GetValue(size),
                        };
                        GeneratedImage candidate = null!;
                        await console.Progress().AutoClear(true).StartAsync(async ctx =>
                        {
                            ProgressTask task = ctx.AddTask($"seed {options.Seed}", maxValue: options.Steps!.Value);
                            var progress = new Progress<GenerationProgress>(p => task.Value = p.Step);
                            candidate = await pipeline.GenerateAsync(parse.GetRequiredValue(prompt), parse.GetValue(negative), d, options, progress, cancellationToken);
                            task.Value = task.MaxValue;
                        });
                        float score = scorer is null ? float.NaN : await scorer.ScoreAsync(candidate.Image, plainPrompt, cancellationToken);
                        candidatesMade.Add((candidate, score));
                    }

                    // Best-of-N: keep the candidate with the highest CLIP score and report every score.
                    candidatesMade.Sort((a, b) => b.Score.CompareTo(a.Score));
                    if (candidates > 1)
                    {
                        string scores = string.Join(", ", candidatesMade.Select(b => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"seed {b.Image.Parameters.Seed}: {b.Score:F2}")));
                        console.MarkupLine(Markup.Escape($"CLIP scores vs \"{plainPrompt}\": {scores}"));
                    }

                    foreach ((GeneratedImage other, _) in candidatesMade.Skip(1)) other.Dispose();
                    using GeneratedImage image = candidatesMade[0].Image;
                    string path = count == 1 ? target.FullName : Path.Combine(target.DirectoryName ?? ".", $"{Path.GetFileNameWithoutExtension(target.Name)}-{i}{target.Extension}");
                    await image.SavePngAsync(path, cancellationToken);
                    string judged = string.Empty;
                    if (parse.GetValue(judge))
                    {
                        ShapesJudgement j = ShapesJudge.Judge(image.Image);
                        judged = j.Main is { } o ? $" — judged: {o.Size} {o.Colour} {o.Shape} at {o.Position}, {j.Background} background" : $" — judged: no object, {j.Background} background";
                    }

                    console.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] ({image.Image.Width}×{image.Image.Height}, seed {image.Parameters.Seed}, {Markup.Escape(image.Parameters.Sampler ?? string.Empty)}){Markup.Escape(judged)}");
                }

                return 0;
            }
            catch (Exception e) when (e is ModelFolderException or ModelLoadException or DirectoryNotFoundException or FileNotFoundException or ModelContractException or PromptSyntaxException or SchedulerConfigException or NonFiniteLatentsException or NotSupportedException or Tokenizers.TokenizerLoadException or ExecutionProviderUnavailableException)
            {
                await io.Error.WriteLineAsync($"error: {e.Message}");
                return CliApp.UserError;
            }
        });
        return command;
    }

    /// <summary>Resolves a model path; the default embedded model is also looked for above the executable's folder.</summary>
    internal static string ResolveModel(string path)
    {
        if (Directory.Exists(path) || Path.IsPathRooted(path)) return path;
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, path);
            if (Directory.Exists(candidate)) return candidate;
        }

        return path;
    }
}
