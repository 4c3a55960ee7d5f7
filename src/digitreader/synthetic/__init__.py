"""Synthetic photos of handwriting, for the tests, the README's samples and users.

Real phone photos cannot be committed, and MNIST images must never be written into the
repository, so realistic test photos are rendered when they are needed:

    mnist_photos   single MNIST test digits as phone photos, in four variants (ink, thin pen,
                   thick marker, chalk on a board): plan, render_planned, generate
    numbers        numbers of 2-6 MNIST test digits written side by side, photographed alike
    hard_photos    the kinds of real input the reader finds hard, from MNIST test digits: a
                   small number in a large photo with a table and a shadow, cheque amounts on
                   guilloche paper, small images, touching cursive digits, paint programs'
                   thin lines and thick brushes: HARD_KINDS, iter_hard, render_index
    measure        how the reader reads the hard photos, kind by kind (the caller's classifier)
    nondigits      marks that are not one digit (letters, symbols, scribbles, smileys, shapes,
                   stains; from MNIST training digits, fragments and pairs) as the reader's
                   28x28s, for outlier exposure and segmentation, and as photos for a test set:
                   nondigit_images, generate_nondigit_photos
    mnist_pens     an MNIST digit redrawn by a pen at photo scale: the pen's coverage
    scene          the shared renderer of those photos: placement, perspective and lens blur,
                   light, paper and boards, noise fields, sensor noise, encoding
    handwriting    hand-designed pen paths of every digit, and the pens (no MNIST)
    sample_photos  the sample photos in samples/: handwriting on designed paper and light
    cli            the command line: python -m digitreader.synthetic
                   {digits,numbers,hard,nondigits,samples}

The same seed gives the same bytes. NumPy and OpenCV only: nothing here imports TensorFlow
(measure reads with the classifier its caller loaded).
"""
