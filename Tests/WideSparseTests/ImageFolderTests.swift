import CPNG
import CTurboJPEG
import Datasets
import Foundation
import Testing

/// PNG bytes of an interleaved 8-bit image (libpng's simplified writer).
func pngBytes(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> [UInt8] {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = channels == 3 ? 2 : 0
    var size = 0
    _ = png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, nil)
    var output = [UInt8](repeating: 0, count: size)
    _ = png_image_write_to_memory(&image, &output, &size, 0, pixels, 0, nil)
    png_image_free(&image)
    return Array(output.prefix(size))
}

/// JPEG bytes (quality 100, no chroma subsampling) of an interleaved RGB image.
func jpegBytes(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
    let handle = tjInitCompress()
    defer { tjDestroy(handle) }
    var buffer: UnsafeMutablePointer<UInt8>?
    var size: UInt = 0
    _ = tjCompress2(handle, pixels, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer, &size, Int32(TJSAMP_444.rawValue), 100, 0)
    defer { tjFree(buffer) }
    return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
}

@Suite("Image folders: PNG and JPEG through libpng and libjpeg-turbo")
struct ImageFolderTests {
    /// A smooth 4x3 RGB image (smooth, so JPEG at quality 100 keeps it within a few levels).
    func pixels(seed: Int) -> [UInt8] {
        (0..<(4 * 3 * 3)).map { UInt8(40 + seed * 10 + ($0 % 3) * 30 + ($0 / 3) * 2) }
    }

    @Test("One folder per class, PNG and JPEG mixed, [N, 3, H, W] planar")
    func readsFolder() throws {
        let root = temporaryFolder()
        for name in ["cat", "ant"] { try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true) }
        write(pngBytes(width: 4, height: 3, channels: 3, pixels: pixels(seed: 0)), "\(root)/ant/a.png")
        write(jpegBytes(width: 4, height: 3, pixels: pixels(seed: 1)), "\(root)/ant/b.JPG")
        write(pngBytes(width: 4, height: 3, channels: 3, pixels: pixels(seed: 2)), "\(root)/cat/c.png")
        write([1, 2, 3], "\(root)/cat/notes.txt")  // not an image: ignored by extension
        let (set, names) = try readImageFolder(root)
        #expect(names == ["ant", "cat"])
        #expect(set.labels == [0, 0, 1])
        #expect(set.images.shape == [3, 3, 3, 4])
        // PNG is lossless: pixel (row 1, column 2), channel 1 of the first image.
        let source = pixels(seed: 0)
        #expect(set.images[(0 * 3 + 1) * 12 + 1 * 4 + 2] == Float(source[(1 * 4 + 2) * 3 + 1]) / 255)
        // JPEG at quality 100: within a few levels everywhere.
        let jpegSource = pixels(seed: 1)
        for c in 0..<3 { for position in 0..<12 {
            let decoded = set.images[(1 * 3 + c) * 12 + position] * 255
            #expect(abs(decoded - Float(jpegSource[position * 3 + c])) <= 4)
        } }
    }

    @Test("Grey PNG expanded to RGB; errors name the file: wrong size, not an image, corrupt PNG")
    func errors() throws {
        let grey = try decodeImage(pngBytes(width: 2, height: 1, channels: 1, pixels: [10, 200]), path: "g.png", channels: 3)
        #expect(grey.pixels == [10, 10, 10, 200, 200, 200])
        let root = temporaryFolder()
        try FileManager.default.createDirectory(atPath: "\(root)/a", withIntermediateDirectories: true)
        write(pngBytes(width: 4, height: 3, channels: 3, pixels: pixels(seed: 0)), "\(root)/a/1.png")
        write(pngBytes(width: 2, height: 1, channels: 1, pixels: [1, 2]), "\(root)/a/2.png")
        #expect(throws: DatasetError.badFormat(path: "\(root)/a/2.png", expected: "4x3 pixels like \(root)/a/1.png", found: "2x1")) {
            try readImageFolder(root)
        }
        #expect(throws: DatasetError.badFormat(path: "x.jpg", expected: "a PNG or JPEG image", found: "bytes 47 49 46 38")) {
            try decodeImage(Array("GIF89a".utf8), path: "x.jpg", channels: 3)
        }
        let png = pngBytes(width: 4, height: 3, channels: 3, pixels: pixels(seed: 0))
        do {
            _ = try decodeImage(Array(png.prefix(40)), path: "cut.png", channels: 3)
            Issue.record("a truncated PNG was decoded")
        } catch {
            #expect("\(error)".hasPrefix("cut.png: expected a valid PNG image, found libpng: "))
        }
    }
}
