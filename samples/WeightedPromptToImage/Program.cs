// The shortest program that turns a weighted prompt into an image: load a diffusers ONNX folder, generate, save.
//   dotnet run --project samples/WeightedPromptToImage -- [model folder] [output.png]
return await Samples.WeightedPromptToImage.RunAsync(args);
