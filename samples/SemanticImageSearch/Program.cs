// Index a folder of images with CLIP (SQLite, resumable) and search it with text.
//   dotnet run --project samples/SemanticImageSearch -- [image folder] [clip folder] [query] [index.sqlite]
return await Samples.SemanticImageSearch.RunAsync(args);
